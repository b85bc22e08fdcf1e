import type OpenAI from 'openai'
import { expect } from 'vitest'
import type { Bindings } from '../../src/env'
import { chatRequest, type Served, servedBy, type TestTenant } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

/** The Worker with its background work tracked: cache write-back and metering. */
export function trackedGateway(overrides: Partial<Bindings> = {}): Served {
  return servedBy({ bindings: overrides })
}

export type Gateway = Served

/**
 * A tenant with the cache on; the semantic threshold suits the stand-in's hashed embedder, and
 * the lookup budget is wide so a loaded test machine cannot turn a hit into a late one.
 */
export async function cachingTenant(cache: Record<string, unknown> = {}): Promise<TestTenant> {
  return tenantWithKey({
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
    chatRequest(tenant.secret, body, headers)
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
