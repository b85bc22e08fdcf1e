/** Admin-API helpers shared by the tenancy, limits, metering and admin route tests. */

import { exports } from 'cloudflare:workers'
import { Redis } from '@upstash/redis/cloudflare'
import { inject } from 'vitest'

export const BASE = 'http://gateway.test'
/** vitest.config.ts's ADMIN_TOKEN binding (importing the config would pull Node code into workerd). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789'

export type Json = Record<string, unknown>

/** The gateway's Redis, read directly to check what the gateway wrote. */
export function gatewayRedis(): Redis {
  return new Redis({ url: inject('redisRestUrl'), token: inject('redisRestToken') })
}

export function gateway(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, init)
}

export async function admin(path: string, method = 'GET', body?: unknown): Promise<Response> {
  return gateway(path, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

/** Calls the admin API and insists on the expected status; returns the JSON body. */
export async function adminJson(
  path: string,
  method = 'GET',
  body?: unknown,
  status = 200
): Promise<Json> {
  const response = await admin(path, method, body)
  const json: Json = await response.json()
  if (response.status !== status) {
    throw new Error(
      `${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(json)}`
    )
  }
  return json
}

export async function createTenant(config: Json = {}, name = 'test tenant'): Promise<string> {
  const tenant = await adminJson('/admin/tenants', 'POST', { name, config }, 201)
  return String(tenant.id)
}

export async function createKey(
  tenantId: string,
  body: Json = {}
): Promise<{ id: string; secret: string }> {
  const key = await adminJson(`/admin/tenants/${tenantId}/keys`, 'POST', body, 201)
  return { id: String(key.id), secret: String(key.secret) }
}

export async function tenantWithKey(config: Json = {}, keyBody: Json = {}) {
  const tenantId = await createTenant(config)
  const key = await createKey(tenantId, keyBody)
  return { tenantId, keyId: key.id, secret: key.secret }
}

export function withKey(secret: string, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...init.headers, authorization: `Bearer ${secret}` } }
}

/** The status and error envelope of a response, body consumed. */
export async function failure(
  response: Response
): Promise<{ status: number; type: unknown; code: unknown; param: unknown; message: string }> {
  const json: { error?: { type?: unknown; code?: unknown; param?: unknown; message?: unknown } } =
    await response.json()
  return {
    status: response.status,
    type: json.error?.type,
    code: json.error?.code,
    param: json.error?.param,
    message: String(json.error?.message ?? ''),
  }
}

export type ChatBody = {
  model: string
  max_tokens?: number
  n?: number
  stream?: boolean
  content?: string
}

/** A chat completion through the gateway; the mock provider answers `mock/<anything>`. */
export function chat(
  secret: string,
  body: ChatBody,
  headers: Record<string, string> = {}
): Promise<Response> {
  const { content = 'Say something short.', ...rest } = body
  return gateway('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      ...rest,
      messages: [{ role: 'user', content }],
      ...(rest.stream ? { stream_options: { include_usage: true } } : {}),
    }),
  })
}

export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number }

/** The usage a response reported: the JSON body's, or a stream's final usage chunk. */
export async function reportedUsage(response: Response): Promise<Usage> {
  const text = await response.text()
  if (!response.headers.get('content-type')?.includes('text/event-stream')) {
    return (JSON.parse(text) as { usage: Usage }).usage
  }
  const chunks = text
    .split('\n\n')
    .map((frame) => frame.replace(/^data: /, ''))
    .filter((data) => data.startsWith('{'))
    .map((data) => JSON.parse(data) as { usage?: Usage | null })
  const usage = chunks.findLast((chunk) => chunk.usage)?.usage
  if (!usage) throw new Error('the stream reported no usage')
  return usage
}

/** Limits count fixed one-minute windows: start a burst well inside one, not at its edge. */
export async function awayFromWindowEdge(marginMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50))
}
