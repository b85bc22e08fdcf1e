import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import type { JobMessage } from '../../src/jobs/messages'
import { webhookMessage } from '../../src/webhooks/keys'
import { uniqueTag } from '../helpers/gateway'
import { gatewayRedis, tenantWithKey } from '../tenancy/fixtures'
import {
  attempts,
  completed,
  createEndpoint,
  emit,
  eventually,
  expectVerified,
  received,
  receivedUntil,
  receiverUrl,
  tenantApi,
  verified,
} from './helpers'

/** vitest.config.ts: WEBHOOK_RETRY_SCHEDULE=0,1,1,1, WEBHOOK_TIMEOUT_MS=1000. */
const ATTEMPTS = 4

const settled = (outcome: string) => (list: { outcome: string }[]) =>
  list.some((entry) => entry.outcome === outcome)

/** Everything the Worker writes to the console while a test runs. */
function consoleLines(): string[] {
  const lines: string[] = []
  for (const method of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    })
  }
  return lines
}
afterEach(() => vi.restoreAllMocks())

/** The Worker's queue handler, given one message as the dead-letter queue hands it over. */
async function deadLetter(job: JobMessage): Promise<'ack' | 'retry'> {
  let settled: 'ack' | 'retry' = 'retry'
  const message = {
    id: 'dlq-1',
    timestamp: new Date(),
    body: job,
    attempts: 1,
    ack: () => {
      settled = 'ack'
    },
    retry: () => {
      settled = 'retry'
    },
  }
  const batch = {
    queue: 'gateway-jobs-dlq',
    messages: [message],
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    ackAll: () => {},
    retryAll: () => {},
  } as unknown as MessageBatch<JobMessage>
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  await waitOnExecutionContext(ctx)
  return settled
}

describe('webhook deliveries', () => {
  it('retries a flaky receiver until one delivery succeeds, under one webhook-id', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag, { fail: 2 }) })
    await emit(tenant.tenantId, completed('resp_flaky'))
    const requests = await receivedUntil(tag, (list) => list.some((r) => r.status === 200))
    expect(requests.map((r) => r.status)).toEqual([500, 500, 200])
    const ids = new Set(requests.map((r) => r.headers['webhook-id']))
    expect(ids.size).toBe(1)
    expect([...ids][0]).toMatch(/^msg_/)
    for (const request of requests) expectVerified(endpoint.secret, request)
    expect(JSON.parse(requests[2]?.body ?? '')).toMatchObject({
      type: 'response.completed',
      data: { id: 'resp_flaky' },
    })
    const log = await eventually(
      () => attempts(tenant.secret, endpoint.id),
      (list) => list.length === 3
    )
    expect(log.map((a) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 500, 'retrying'],
      [2, 500, 'retrying'],
      [3, 200, 'succeeded'],
    ])
    expect(log[0]?.next_retry_at).not.toBeNull()
    expect(log[2]?.next_retry_at).toBeNull()
    // Nothing more arrives: the success ended the delivery.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(await received(tag)).toHaveLength(3)
  })

  it('sends thin payloads by default and the full object when asked', async () => {
    const tenant = await tenantWithKey()
    const [thin, full] = [uniqueTag(), uniqueTag()]
    await createEndpoint(tenant.secret, { url: receiverUrl(thin) })
    await createEndpoint(tenant.secret, { url: receiverUrl(full), payload: 'full' })
    const event = completed('resp_shape', { output: [{ type: 'message', content: 'hi' }] })
    await emit(tenant.tenantId, event)
    const [thinBody, fullBody] = await Promise.all(
      [thin, full].map(async (tag) => {
        const [request] = await receivedUntil(tag, (list) => list.length === 1)
        return JSON.parse(request?.body ?? '') as Record<string, unknown>
      })
    )
    expect(thinBody).toEqual({
      type: 'response.completed',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { id: 'resp_shape' },
    })
    expect(fullBody).toEqual({ ...thinBody, data: event.data })
  })

  it('keeps only the id of an event no endpoint wants in full', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    await createEndpoint(tenant.secret, { url: receiverUrl(tag) })
    await emit(tenant.tenantId, completed('resp_private', { output: 'the answer' }))
    const [request] = await receivedUntil(tag, (list) => list.length === 1)
    const messageId = request?.headers['webhook-id'] ?? ''
    const stored = await gatewayRedis().get(webhookMessage(tenant.tenantId, messageId))
    expect(stored).toMatchObject({ id: messageId, data: { id: 'resp_private' } })
    expect(JSON.stringify(stored)).not.toContain('the answer')
  })

  it('delivers only to enabled endpoints subscribed to the type', async () => {
    const tenant = await tenantWithKey()
    const [wants, other, off] = [uniqueTag(), uniqueTag(), uniqueTag()]
    await createEndpoint(tenant.secret, {
      url: receiverUrl(wants),
      event_types: ['response.completed'],
    })
    await createEndpoint(tenant.secret, {
      url: receiverUrl(other),
      event_types: ['response.failed'],
    })
    await createEndpoint(tenant.secret, { url: receiverUrl(off), enabled: false })
    await emit(tenant.tenantId, completed('resp_routed'))
    await receivedUntil(wants, (list) => list.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await received(other)).toEqual([])
    expect(await received(off)).toEqual([])
  })

  it('disables the endpoint at once on 410', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag, { status: 410 }) })
    await emit(tenant.tenantId, completed('resp_gone'))
    const view = await eventually(
      async () => (await tenantApi(tenant.secret, `/${endpoint.id}`)).json,
      (json) => json.enabled === false
    )
    expect(view.disabled_reason).toBe('the endpoint answered 410 Gone')
    await emit(tenant.tenantId, completed('resp_after'))
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect((await received(tag)).map((r) => r.status)).toEqual([410])
  })

  it('times out a hanging receiver and retries it', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag, { hang: 1 }) })
    await emit(tenant.tenantId, completed('resp_hang'))
    const requests = await receivedUntil(tag, (list) => list.some((r) => r.status === 200))
    expect(requests.map((r) => r.status)).toEqual([null, 200])
    const log = await eventually(
      () => attempts(tenant.secret, endpoint.id),
      (list) => list.length === 2
    )
    expect(log[0]).toMatchObject({ status_code: null, error: 'timed out after 1000 ms' })
    expect(log[0]?.latency_ms).toBeGreaterThanOrEqual(1000)
    expect(log[1]).toMatchObject({ status_code: 200, outcome: 'succeeded' })
  })

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, {
      url: receiverUrl(tag, { redirect: 1 }),
    })
    await emit(tenant.tenantId, completed('resp_moved'))
    const log = await eventually(
      () => attempts(tenant.secret, endpoint.id),
      (list) => list.length >= 2
    )
    expect(log.slice(0, 2).map((a) => [a.status_code, a.outcome])).toEqual([
      [302, 'retrying'],
      [302, 'retrying'],
    ])
    expect(await received(`${tag}-redirected`)).toEqual([])
  })

  it('waits as long as a throttling receiver asks with Retry-After', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    await createEndpoint(tenant.secret, {
      url: receiverUrl(tag, { fail: 1, status: 429, retry_after: 3 }),
    })
    await emit(tenant.tenantId, completed('resp_slow_down'))
    const [first, second] = await receivedUntil(tag, (list) => list.length === 2)
    expect(first?.status).toBe(429)
    // The schedule's next step is 1 s; the receiver asked for 3.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(2900)
  })

  it('stops retrying when the receiver answers webhook-delivery: abort-message', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, {
      url: receiverUrl(tag, { status: 500, abort: 1 }),
    })
    await emit(tenant.tenantId, completed('resp_abort'))
    const log = await eventually(() => attempts(tenant.secret, endpoint.id), settled('aborted'))
    expect(log).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(await received(tag)).toHaveLength(1)
  })

  it('marks a delivery failed when its attempts run out, and a streak disables the endpoint', async () => {
    const lines = consoleLines()
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag, { status: 503 }) })
    await emit(tenant.tenantId, completed('resp_down_1'))
    const first = await eventually(() => attempts(tenant.secret, endpoint.id), settled('failed'))
    expect(first.map((a) => a.outcome)).toEqual([...Array(ATTEMPTS - 1).fill('retrying'), 'failed'])
    expect((await tenantApi(tenant.secret, `/${endpoint.id}`)).json).toMatchObject({
      enabled: true,
      consecutive_failures: 1,
    })
    await emit(tenant.tenantId, completed('resp_down_2'))
    const view = await eventually(
      async () => (await tenantApi(tenant.secret, `/${endpoint.id}`)).json,
      (json) => json.enabled === false,
      20_000
    )
    expect(view).toMatchObject({
      disabled_reason: '2 consecutive failed deliveries',
      consecutive_failures: 2,
    })
    expect(await received(tag)).toHaveLength(2 * ATTEMPTS)
    const disabled = lines.filter((line) => line.includes(endpoint.id))
    expect(disabled.map((line) => JSON.parse(line))).toContainEqual({
      level: 'warn',
      what: 'webhook endpoint disabled',
      tenant_id: tenant.tenantId,
      endpoint_id: endpoint.id,
      reason: '2 consecutive failed deliveries',
    })
    // Neither the secret nor its sealed form ever reaches a log line.
    expect(lines.join('\n')).not.toContain(endpoint.secret.slice(6, 30))
    expect(lines.join('\n')).not.toMatch(/whsec_|secret_sealed/)
    // Enabling it again starts a clean slate.
    const enabled = await tenantApi(tenant.secret, `/${endpoint.id}`, 'PATCH', { enabled: true })
    expect(enabled.json).toMatchObject({
      enabled: true,
      disabled_reason: null,
      consecutive_failures: 0,
    })
  }, 40_000)

  it('records a dead-lettered delivery as failed, and sends nothing more for it', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag, { status: 500 }) })
    await emit(tenant.tenantId, completed('resp_dead'))
    const [first] = await receivedUntil(tag, (list) => list.length >= 1)
    const messageId = first?.headers['webhook-id'] ?? ''
    const job: JobMessage = {
      kind: 'delivery',
      tenantId: tenant.tenantId,
      endpointId: endpoint.id,
      messageId,
    }
    expect(await deadLetter(job)).toBe('ack')
    const log = await attempts(tenant.secret, endpoint.id)
    expect(log.at(-1)).toMatchObject({
      message_id: messageId,
      outcome: 'failed',
      error: 'the job kept failing before the attempt could be made',
    })
    const seen = (await received(tag)).length
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(await received(tag)).toHaveLength(seen)
    expect(seen).toBeLessThan(ATTEMPTS)
  })

  it('replays a delivery with the same webhook-id', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag) })
    await emit(tenant.tenantId, completed('resp_replay'))
    const [original] = await receivedUntil(tag, (list) => list.length === 1)
    const messageId = original?.headers['webhook-id'] ?? ''
    // The receiver has it before the gateway has recorded the success: replay what has ended.
    await eventually(
      () => attempts(tenant.secret, endpoint.id),
      (list) => list.some((attempt) => attempt.outcome === 'succeeded')
    )
    const { status, json } = await tenantApi(
      tenant.secret,
      `/${endpoint.id}/deliveries/${messageId}/replay`,
      'POST'
    )
    expect(status).toBe(202)
    expect(json).toMatchObject({ message_id: messageId, endpoint_id: endpoint.id, queued: true })
    const [, replayed] = await receivedUntil(tag, (list) => list.length === 2)
    expect(replayed?.headers['webhook-id']).toBe(messageId)
    expect(replayed?.body).toBe(original?.body)
    expectVerified(
      endpoint.secret,
      replayed ?? original ?? { at: 0, headers: {}, body: '', status: null }
    )
    const unknown = await tenantApi(
      tenant.secret,
      `/${endpoint.id}/deliveries/msg_nope/replay`,
      'POST'
    )
    expect(unknown.status).toBe(404)
  })

  it('refuses to replay a delivery that is still being retried (two chains would both send)', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag, { fail: 3 }) })
    await emit(tenant.tenantId, completed('resp_pending'))
    const [first] = await receivedUntil(tag, (list) => list.length === 1)
    await eventually(
      () => attempts(tenant.secret, endpoint.id),
      (list) => list.length === 1
    )
    const messageId = first?.headers['webhook-id'] ?? ''
    const replay = await tenantApi(
      tenant.secret,
      `/${endpoint.id}/deliveries/${messageId}/replay`,
      'POST'
    )
    expect(replay.status).toBe(409)
    expect(replay.json).toMatchObject({ error: { code: 'webhook_delivery_pending' } })
    // The one chain goes on to its success, and nothing after it.
    const requests = await receivedUntil(tag, (list) => list.some((r) => r.status === 200))
    expect(requests.map((r) => r.status)).toEqual([500, 500, 500, 200])
  })

  it('signs with both secrets during a rotation grace period, and only the new one after', async () => {
    const tenant = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(tenant.secret, { url: receiverUrl(tag) })
    const rotated = await tenantApi(tenant.secret, `/${endpoint.id}/rotate`, 'POST', {
      grace_seconds: 3600,
    })
    const newSecret = String(rotated.json.secret)
    await emit(tenant.tenantId, completed('resp_grace'))
    const [during] = await receivedUntil(tag, (list) => list.length === 1)
    if (!during) throw new Error('no delivery')
    expect(during.headers['webhook-signature']?.split(' ')).toHaveLength(2)
    expectVerified(newSecret, during)
    expectVerified(endpoint.secret, during)
    const again = await tenantApi(tenant.secret, `/${endpoint.id}/rotate`, 'POST', {
      grace_seconds: 0,
    })
    const newest = String(again.json.secret)
    expect(again.json.previous_secret_valid_until).not.toBeNull()
    await emit(tenant.tenantId, completed('resp_after_grace'))
    const [, after] = await receivedUntil(tag, (list) => list.length === 2)
    if (!after) throw new Error('no delivery')
    expect(after.headers['webhook-signature']?.split(' ')).toHaveLength(1)
    expectVerified(newest, after)
    expect(() => verified(newSecret, after)).toThrow()
    expect(() => verified(endpoint.secret, after)).toThrow()
  })
})
