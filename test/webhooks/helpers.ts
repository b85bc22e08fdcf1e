/** Endpoints, emissions and the loopback receiver (dev/webhook-receiver.ts) for webhook tests. */
import { env } from 'cloudflare:workers'
import { Webhook } from 'standardwebhooks'
import { expect, inject } from 'vitest'
import type { ReceivedWebhook } from '../../dev/webhook-receiver/server'
import { loadConfig } from '../../src/config'
import { buildDeps } from '../../src/deps'
import type { Bindings } from '../../src/env'
import type { WebhookEvent } from '../../src/webhooks/events'
import { gateway, type Json } from '../tenancy/fixtures'

/** A receiver URL for one test: `controls` go in its query string (see the receiver). */
export function receiverUrl(tag: string, controls: Record<string, string | number> = {}): string {
  const query = new URLSearchParams(
    Object.entries(controls).map(([name, value]) => [name, String(value)])
  )
  const search = query.size > 0 ? `?${query}` : ''
  return `${inject('webhookReceiverUrl')}/hooks/${tag}${search}`
}

export async function received(tag: string): Promise<ReceivedWebhook[]> {
  const response = await fetch(`${inject('webhookReceiverUrl')}/_received?tag=${tag}`)
  return ((await response.json()) as { requests: ReceivedWebhook[] }).requests
}

/** Polls until `ready` holds for what the tag received; fails the test past `timeoutMs`. */
export async function receivedUntil(
  tag: string,
  ready: (requests: ReceivedWebhook[]) => boolean,
  timeoutMs = 15_000
): Promise<ReceivedWebhook[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const requests = await received(tag)
    if (ready(requests)) return requests
    if (Date.now() > deadline) {
      throw new Error(`receiver ${tag}: condition not met; got ${JSON.stringify(requests)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Polls a JSON answer until `ready` holds for it. */
export async function eventually<T>(
  read: () => Promise<T>,
  ready: (value: T) => boolean,
  timeoutMs = 15_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ready(value)) return value
    if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The tenant API of the endpoints, with the tenant's key. */
export async function tenantApi(
  secret: string,
  path: string,
  method = 'GET',
  body?: unknown
): Promise<{ status: number; json: Json }> {
  const response = await gateway(`/v1/webhooks/endpoints${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, json: await response.json() }
}

export async function createEndpoint(
  secret: string,
  body: Json
): Promise<{ id: string; secret: string }> {
  const { status, json } = await tenantApi(secret, '', 'POST', body)
  if (status !== 201) throw new Error(`create endpoint: ${status} ${JSON.stringify(json)}`)
  return { id: String(json.id), secret: String(json.secret) }
}

export type Attempt = {
  message_id: string
  attempt: number
  status_code: number | null
  error: string | null
  outcome: string
  next_retry_at: string | null
  latency_ms: number
}

export async function attempts(secret: string, endpointId: string): Promise<Attempt[]> {
  const { json } = await tenantApi(secret, `/${endpointId}/deliveries?limit=100`)
  return (json.data as Attempt[]).slice().reverse()
}

/** The gateway's real event sink, on the real queue: what the emitters call. */
export function emit(tenantId: string, event: WebhookEvent): Promise<void> {
  return buildDeps(loadConfig(env as Bindings), { jobs: env.JOBS }).events.emit(tenantId, event)
}

export const completed = (id: string, extra: Json = {}): WebhookEvent => ({
  type: 'response.completed',
  data: { id, object: 'response', status: 'completed', ...extra },
})

/** What the official library makes of a received delivery: the payload, or a throw. */
export function verified(secret: string, request: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(request.body, request.headers)
}

export function expectVerified(secret: string, request: ReceivedWebhook): void {
  expect(verified(secret, request)).toEqual(JSON.parse(request.body))
}
