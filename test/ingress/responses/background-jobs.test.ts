/**
 * The ResponseJob handler and the sweeper, driven directly (as the queue would) with the real
 * Redis and mock provider, and a recording event sink: what a redelivered, dead-lettered, lost or
 * orphaned job does.
 */
import { createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config'
import { buildDeps, type GatewayDeps } from '../../../src/deps'
import type { Bindings } from '../../../src/env'
import worker from '../../../src/index'
import {
  cancelBackground,
  startBackgroundResponse,
} from '../../../src/ingress/responses/background'
import { backgroundRunner } from '../../../src/ingress/responses/background-run'
import { backgroundStore } from '../../../src/ingress/responses/background-store'
import type { ResponseObject } from '../../../src/ingress/responses/response-object'
import type { ResponsesRequest } from '../../../src/ingress/responses/schema'
import { storeTurn } from '../../../src/ingress/responses/store'
import type { JobContext } from '../../../src/jobs/consumer'
import type { JobMessage } from '../../../src/jobs/messages'
import type { JobQueue } from '../../../src/jobs/queue'
import { resolveKeyId } from '../../../src/tenancy/keys'
import type { WebhookEvent } from '../../../src/webhooks/events'
import { mockRequests, uniqueTag } from '../../helpers/gateway'
import { adminJson, gatewayRedis, tenantWithKey } from '../../tenancy/fixtures'

const redis = gatewayRedis()

type Harness = {
  deps: GatewayDeps
  events: { tenantId: string; event: WebhookEvent }[]
  sent: JobMessage[]
  run: ReturnType<typeof backgroundRunner>
}

/** The Worker's dependencies, with a recording event sink and a queue that keeps what it gets. */
function harness(): Harness {
  const events: Harness['events'] = []
  const sent: JobMessage[] = []
  const jobs: JobQueue = {
    send: async (job) => {
      sent.push(job)
    },
    sendBatch: async (batch) => {
      sent.push(...batch)
    },
  }
  const deps: GatewayDeps = {
    ...buildDeps(loadConfig(env as Bindings), { jobs: env.JOBS }),
    jobs,
    events: {
      emit: async (tenantId, event) => {
        events.push({ tenantId, event })
      },
    },
  }
  return { deps, events, sent, run: backgroundRunner(deps) }
}

const firstDelivery = (): JobContext => ({
  attempts: 1,
  deadLettered: false,
  waitUntil: () => {},
})

async function started(h: Harness, request: Partial<ResponsesRequest> = {}, hookId?: string) {
  const { tenantId, keyId, secret } = await tenantWithKey()
  const found = await resolveKeyId(redis, tenantId, keyId)
  if (typeof found !== 'object') throw new Error(`key ${keyId} did not resolve`)
  const tag = uniqueTag()
  const response = await startBackgroundResponse(
    h.deps,
    found.resolved,
    { model: `mock/mock-gpt:tokens=6,tag=${tag}`, input: 'Hello', ...request },
    hookId ? { hookId } : {}
  )
  const job: JobMessage & { kind: 'response' } = {
    kind: 'response',
    tenantId,
    responseId: response.id,
  }
  return { tenantId, keyId, secret, tag, response, job }
}

/** What a consumer that died mid-answer leaves: in_progress, part of the output, no lease. */
async function diedMidRun(tenantId: string, response: ResponseObject, restart = false) {
  const store = backgroundStore(redis)
  const lease = { token: crypto.randomUUID(), ms: 3000 }
  expect(await store.claim(tenantId, response.id, lease.token, lease.ms)).toBe(true)
  const running = { ...response, status: 'in_progress' as const }
  if (restart) {
    await store.advance(tenantId, response.id, lease, {
      restart: true,
      to: { status: 'queued', response },
    })
  }
  await store.advance(tenantId, response.id, lease, {
    events: [
      { type: 'response.in_progress', response: running },
      { type: 'response.output_text.delta', delta: 'half an ans' },
    ],
    to: { status: 'in_progress', response: running },
  })
  await store.release(tenantId, response.id, lease.token)
}

describe('the background job handler', () => {
  it('runs a job once: a redelivered message acks without a second upstream call or event', async () => {
    const h = harness()
    const { tenantId, tag, job } = await started(h)
    expect(h.sent).toEqual([job])
    expect(await h.run(job, firstDelivery())).toEqual({ ack: true })
    expect(await h.run(job, { ...firstDelivery(), attempts: 2 })).toEqual({ ack: true })
    expect(await mockRequests(tag)).toHaveLength(1)
    expect(h.events.map((e) => [e.tenantId, e.event.type])).toEqual([
      [tenantId, 'response.completed'],
    ])
    expect(h.events[0]?.event.data).toMatchObject({ id: job.responseId, status: 'completed' })
  })

  it('also announces hook.completed for a response an inbound hook started', async () => {
    const h = harness()
    const { job } = await started(h, {}, 'hook_test')
    await h.run(job, firstDelivery())
    expect(h.events.map((e) => e.event.type)).toEqual(['response.completed', 'hook.completed'])
    expect(h.events[1]?.event.data).toMatchObject({
      id: job.responseId,
      hook_id: 'hook_test',
      response_id: job.responseId,
      status: 'completed',
      output_text: expect.any(String),
    })
  })

  it('leaves a job another consumer holds the lease of, and retries it after the lease', async () => {
    const h = harness()
    const { tenantId, tag, job } = await started(h)
    const store = backgroundStore(redis)
    expect(await store.claim(tenantId, job.responseId, 'another-consumer', 3000)).toBe(true)
    expect(await h.run(job, firstDelivery())).toEqual({ retrySeconds: 3 })
    expect(await mockRequests(tag)).toHaveLength(0)
  })

  it('starts over a job whose consumer died mid-run', async () => {
    const h = harness()
    const { tenantId, tag, job, response } = await started(h)
    await diedMidRun(tenantId, response)
    const store = backgroundStore(redis)

    expect(await h.run(job, firstDelivery())).toEqual({ ack: true })
    const { events, run } = await store.eventsAfter(tenantId, job.responseId, -1)
    expect(run).toBe(1)
    expect(events.map((event) => event.type).slice(0, 3)).toEqual([
      'response.created',
      'response.queued',
      'response.in_progress',
    ])
    expect(events.some((event) => event.delta === 'half an ans')).toBe(false)
    expect(events.at(-1)?.type).toBe('response.completed')
    expect(await mockRequests(tag)).toHaveLength(1)
  })

  it('finishes from the stored turn a job whose consumer died after the answer was stored', async () => {
    const h = harness()
    const { tenantId, keyId, tag, job, response } = await started(h)
    await diedMidRun(tenantId, response)
    const answered: ResponseObject = { ...response, status: 'completed' }
    await storeTurn(redis, tenantId, {
      response: { response: answered, owner: { keyId }, history: [], input: [0, 0] },
      retentionSeconds: 60,
    })

    expect(await h.run(job, firstDelivery())).toEqual({ ack: true })
    const { events } = await backgroundStore(redis).eventsAfter(tenantId, job.responseId, -1)
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: answered })
    expect((await backgroundStore(redis).read(tenantId, job.responseId))?.status).toBe('completed')
    expect(h.events.map((e) => e.event.type)).toEqual(['response.completed'])
    expect(await mockRequests(tag)).toHaveLength(0)
  })

  it('gives up a job whose consumers kept dying', async () => {
    const h = harness()
    const { tenantId, tag, job, response } = await started(h)
    for (let run = 0; run < 3; run++) {
      await diedMidRun(tenantId, response, run > 0)
    }
    expect(await h.run(job, firstDelivery())).toEqual({ ack: true })
    const state = await backgroundStore(redis).read(tenantId, job.responseId)
    expect(state?.status).toBe('failed')
    expect(state?.response.error).toMatchObject({ code: 'job_failed' })
    expect(h.events.map((e) => e.event.type)).toEqual(['response.failed'])
    expect(await mockRequests(tag)).toHaveLength(0)
  })

  it('never runs a job cancelled while queued, and announces response.cancelled once', async () => {
    const h = harness()
    const { tenantId, tag, job } = await started(h)
    const cancelled = await cancelBackground(h.deps, tenantId, job.responseId)
    expect(cancelled?.status).toBe('cancelled')
    expect((await cancelBackground(h.deps, tenantId, job.responseId))?.status).toBe('cancelled')
    expect(await h.run(job, firstDelivery())).toEqual({ ack: true })
    expect(await mockRequests(tag)).toHaveLength(0)
    expect(h.events.map((e) => e.event.type)).toEqual(['response.cancelled'])
    const { events } = await backgroundStore(redis).eventsAfter(tenantId, job.responseId, -1)
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.queued',
      'response.cancelled',
    ])
  })

  it('fails a dead-lettered job with a clear error and announces response.failed', async () => {
    const h = harness()
    const { tenantId, tag, job } = await started(h)
    expect(await h.run(job, { ...firstDelivery(), deadLettered: true, attempts: 11 })).toEqual({
      ack: true,
    })
    const state = await backgroundStore(redis).read(tenantId, job.responseId)
    expect(state?.status).toBe('failed')
    expect(state?.response.error).toMatchObject({ code: 'job_failed' })
    expect(h.events.map((e) => e.event.type)).toEqual(['response.failed'])
    expect(await mockRequests(tag)).toHaveLength(0)
  })

  it('fails the job of a key revoked after the create', async () => {
    const h = harness()
    const { tenantId, keyId, tag, job } = await started(h)
    await adminJson(`/admin/keys/${keyId}`, 'DELETE')
    await h.run(job, firstDelivery())
    const state = await backgroundStore(redis).read(tenantId, job.responseId)
    expect(state?.status).toBe('failed')
    expect(state?.response.error).toMatchObject({ code: 'invalid_api_key' })
    expect(await mockRequests(tag)).toHaveLength(0)
  })

  it('keeps a rate-limited job queued and retries it after retry-after', async () => {
    const h = harness()
    const { tenantId, keyId } = await tenantWithKey({ limits: { requests_per_minute: 1 } })
    const found = await resolveKeyId(redis, tenantId, keyId)
    if (typeof found !== 'object') throw new Error('key did not resolve')
    const response = await startBackgroundResponse(h.deps, found.resolved, {
      model: 'mock-gpt',
      input: 'Hello',
    })
    const job = { kind: 'response' as const, tenantId, responseId: response.id }
    expect(await h.run(job, firstDelivery())).toEqual({ ack: true })
    const second = await startBackgroundResponse(h.deps, found.resolved, {
      model: 'mock-gpt',
      input: 'Hello again',
    })
    const outcome = await h.run({ ...job, responseId: second.id }, firstDelivery())
    expect(outcome).toEqual({ retrySeconds: expect.any(Number) })
    expect('retrySeconds' in outcome && outcome.retrySeconds).toBeGreaterThan(0)
    expect((await backgroundStore(redis).read(tenantId, second.id))?.status).toBe('queued')
  })
})

describe('the sweeper', () => {
  it('re-enqueues a job whose message was lost, from the cron trigger', async () => {
    const h = harness()
    const { tenantId, tag, job } = await started(h)
    // h's queue kept the message: it never reached the real queue. The Worker's cron sweeps.
    await expect
      .poll(
        async () => {
          await worker.scheduled(createScheduledController(), env as Bindings)
          return (await backgroundStore(redis).read(tenantId, job.responseId))?.status
        },
        { timeout: 15_000, interval: 300 }
      )
      .toBe('completed')
    expect(await mockRequests(tag)).toHaveLength(1)
  })
})
