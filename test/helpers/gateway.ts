import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import OpenAI from 'openai'
import { beforeAll, inject } from 'vitest'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { tenantWithKey } from '../tenancy/fixtures'

export const ADMIN_HEADERS = {
  authorization: `Bearer ${env.ADMIN_TOKEN}`,
  'content-type': 'application/json',
}

export type TestTenant = Awaited<ReturnType<typeof tenantWithKey>>

/** A tenant with one key, and the official client for it, made once before a file's tests. */
export function withTenant(config: Record<string, unknown> = {}): {
  readonly tenant: TestTenant
  readonly client: OpenAI
} {
  let made: { tenant: TestTenant; client: OpenAI } | undefined
  beforeAll(async () => {
    const tenant = await tenantWithKey(config)
    made = { tenant, client: openAIClient(tenant.secret) }
  })
  const ready = () => {
    if (!made) throw new Error('withTenant() is ready only inside tests')
    return made
  }
  return {
    get tenant() {
      return ready().tenant
    },
    get client() {
      return ready().client
    },
  }
}

/** The official OpenAI client, talking to the Worker in workerd. */
export function openAIClient(apiKey: string, fetcher: typeof fetch = gatewayFetch): OpenAI {
  return new OpenAI({ apiKey, baseURL: 'http://gateway/v1', fetch: fetcher, maxRetries: 0 })
}

export const gatewayFetch: typeof fetch = (input, init) =>
  exports.default.fetch(new Request(input, init))

type Handler = {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response>
}

export type Served = { fetch: typeof fetch; settled(): Promise<void> }

/**
 * The one way tests run the Worker (or an app built from its parts) as the runtime runs it: with
 * extra or changed bindings, each request in its own execution context. `settled()` waits for
 * the background work (waitUntil) of every request so far, which is what a following request or
 * a check of Redis must see.
 */
export function servedBy(options: { bindings?: Partial<Bindings>; app?: Handler } = {}): Served {
  const bindings = { ...(env as Bindings), ...options.bindings }
  const handler: Handler = options.app ?? worker
  const contexts: ExecutionContext[] = []
  return {
    fetch: async (input, init) => {
      const ctx = createExecutionContext()
      contexts.push(ctx)
      return handler.fetch(new Request(input, init), bindings, ctx)
    },
    settled: async () => {
      await Promise.all(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)))
    },
  }
}

/** The Worker with extra or changed bindings (a model catalog, a provider setting). */
export function gatewayWith(overrides: Partial<Bindings>): typeof fetch {
  return servedBy({ bindings: overrides }).fetch
}

export function chatRequest(
  apiKey: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {}
): RequestInit {
  return {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }
}

/** A chat completion sent and read to the end, its background work settled. */
export function settledChat(
  gateway: Served,
  apiKey: string
): (body: Record<string, unknown>) => Promise<void> {
  return async function send(body) {
    const response = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(apiKey, body)
    )
    await response.text()
    await gateway.settled()
  }
}

export type MockRequest = {
  model: string | null
  requestedModel: string | null
  stream: boolean
  body: unknown
  disconnected: boolean
  completed: boolean
  status: number | null
  hasAuthorization: boolean
  hasApiKey: boolean
  path: string
}

/** Requests the mock provider logged for a tag: what really went upstream. */
export async function mockRequests(tag: string): Promise<MockRequest[]> {
  const response = await fetch(
    `${inject('mockProviderUrl')}/_mock/requests?tag=${encodeURIComponent(tag)}`
  )
  return ((await response.json()) as { requests: MockRequest[] }).requests
}

export const uniqueTag = () => `t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
