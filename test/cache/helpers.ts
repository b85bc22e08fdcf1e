import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import type OpenAI from 'openai'
import { expect } from 'vitest'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { chatRequest, createTenant, type TestTenant } from '../helpers/gateway'

/**
 * The Worker with its background work tracked: `settled()` waits for every waitUntil so far
 * (cache write-back, metering), which is what a following request must see.
 */
export function trackedGateway(overrides: Partial<Bindings> = {}) {
  const bindings = { ...(env as Bindings), ...overrides }
  const contexts: ExecutionContext[] = []
  const fetcher: typeof fetch = async (input, init) => {
    const ctx = createExecutionContext()
    contexts.push(ctx)
    return worker.fetch(new Request(input, init), bindings, ctx)
  }
  const settled = async () => {
    await Promise.all(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)))
  }
  return { fetch: fetcher, settled }
}

export type Gateway = ReturnType<typeof trackedGateway>

/**
 * A tenant with the cache on; the semantic threshold suits the stand-in's hashed embedder, and
 * the lookup budget is wide so a loaded test machine cannot turn a hit into a late one.
 */
export async function cachingTenant(cache: Record<string, unknown> = {}): Promise<TestTenant> {
  return createTenant({
    cache: {
      enabled: true,
      semantic: { enabled: true, threshold: 0.9, lookup_budget_ms: 1000 },
      ...cache,
    },
  })
}

export type Answer = {
  status: number
  cache: string | null
  headers: Headers
  json: OpenAI.ChatCompletion & { usage: { x_gateway?: { cached: boolean; saved_tokens: number } } }
}

/** One non-streamed chat request, its write-back awaited. */
export async function ask(
  gateway: Gateway,
  tenant: TestTenant,
  body: Record<string, unknown>,
  headers: Record<string, string> = {}
): Promise<Answer> {
  const response = await gateway.fetch(
    'http://gateway/v1/chat/completions',
    chatRequest(tenant.apiKey, body, headers)
  )
  const json = (await response.json()) as Answer['json']
  await gateway.settled()
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    headers: response.headers,
    json,
  }
}

export const user = (content: string) => [{ role: 'user', content }]

export function expectSameAnswer(a: Answer, b: Answer): void {
  expect(b.json.choices.map((c) => [c.message.content, c.finish_reason])).toEqual(
    a.json.choices.map((c) => [c.message.content, c.finish_reason])
  )
}
