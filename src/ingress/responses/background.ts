/**
 * @module
 * Background responses (`background: true`): the create stores the job and answers at once with
 * the Response object in status `queued`; the work runs on the JOBS queue (background-run.ts)
 * and moves through queued -> in_progress -> completed | incomplete | failed | cancelled. Its
 * events are stored as they are produced, so a stream can replay them from any sequence number
 * and follow the rest. Every terminal status is announced as a webhook event.
 *
 * Delivery is at least once and messages can be lost (a local queue that restarted), so every
 * unfinished job is also indexed by when it is overdue, and `sweepBackground` re-enqueues the
 * overdue ones; running twice is prevented by the job's lease and status, not by the queue.
 */
import type { GatewayDeps } from '../../deps'
import type { EndUser } from '../../end-users/types'
import { GatewayError } from '../../errors'
import { sha256Hex } from '../../lib/crypto'
import { encodeSSE } from '../../lib/sse'
import type { ApiKeyContext, TenantContext } from '../../tenancy/types'
import { BACKGROUND_SWEEP } from '../../upstash/keyspace'
import type { WebhookEvent } from '../../webhooks/events'
import {
  backgroundStore,
  idempotencyRecordKey,
  isTerminal,
  isTerminalEvent,
  type JobSpec,
  type StoredEvent,
} from './background-store'
import { checkedIdempotencyKey, claimIdempotency, redisIdempotency } from './idempotency'
import { newId, requiredInput } from './items'
import { type ResponseObject, startedResponse } from './response-object'
import type { ResponsesRequest } from './schema'
import { resolveResponsesSettings } from './settings'
import { ownerOf, storeTurn } from './store'

/** Who a background response runs for: the same caller the foreground path authenticates. */
export type BackgroundCaller = { tenant: TenantContext; apiKey: ApiKeyContext; endUser?: EndUser }

export type BackgroundOptions = {
  /** A retried start with the same key returns the same response (kept 24 h per tenant + key). */
  idempotencyKey?: string
  /** The inbound hook this response answers: its terminal status is also a `hook.*` event. */
  hookId?: string
}

/** Jobs one sweep re-enqueues at most: one sendBatch. */
const SWEEP_BATCH = 100

/** Stores the job, queues it and returns the `queued` Response object. */
export async function startBackgroundResponse(
  deps: GatewayDeps,
  caller: BackgroundCaller,
  request: ResponsesRequest,
  options: BackgroundOptions = {}
): Promise<ResponseObject> {
  const { tenant, apiKey, endUser } = caller
  const settings = resolveResponsesSettings(tenant.config.responses)
  if ((request.store ?? settings.storeDefault) === false) {
    throw new GatewayError(400, 'background responses must be stored: set store to true.', {
      param: 'store',
      code: 'invalid_request',
    })
  }
  requiredInput(request)
  const spec: JobSpec = {
    request: { ...request, background: true, store: true },
    keyId: apiKey.id,
    owner: ownerOf(apiKey.id, request),
    ...(endUser ? { endUser } : {}),
    ...(options.hookId ? { hookId: options.hookId } : {}),
  }
  const store = backgroundStore(deps.redis)
  const records = redisIdempotency(deps.redis)
  const id = newId('resp')
  let idempotency: string | undefined
  if (options.idempotencyKey !== undefined) {
    const digest = await sha256Hex(checkedIdempotencyKey(options.idempotencyKey))
    const key = idempotencyRecordKey(tenant.id, apiKey.id, digest)
    const claim = await claimIdempotency(
      records,
      key,
      {
        response_id: id,
        fingerprint: await sha256Hex(JSON.stringify([spec.request, spec.hookId ?? null])),
      },
      (responseId) => store.current(tenant.id, responseId)
    )
    if ('existing' in claim) return claim.existing
    idempotency = key
  }
  const forget = async () => {
    if (idempotency === undefined) return
    await records.forget(idempotency).catch((error: unknown) => {
      deps.report('idempotency key', error)
    })
  }
  const response: ResponseObject = {
    ...startedResponse({
      id,
      request: spec.request,
      store: true,
      truncation: request.truncation ?? settings.context.defaultTruncation,
      conversationId:
        typeof request.conversation === 'string' ? request.conversation : request.conversation?.id,
      background: true,
      createdAt: Math.floor(deps.clock() / 1000),
    }),
    status: 'queued',
  }
  const events: StoredEvent[] = [
    { type: 'response.created', response },
    { type: 'response.queued', response },
  ]
  const { background } = deps.config
  try {
    await Promise.all([
      store.create(
        tenant.id,
        id,
        { spec, response, events },
        settings.retentionSeconds,
        deps.clock() + background.requeueAfterMs
      ),
      // The stored response makes it readable and erasable like any other from the start.
      storeTurn(deps.redis, tenant.id, {
        response: { response, owner: spec.owner, history: [], input: [0, 0] },
        retentionSeconds: settings.retentionSeconds,
      }),
    ])
  } catch (error) {
    await forget()
    throw error
  }
  try {
    await deps.jobs.send({ kind: 'response', tenantId: tenant.id, responseId: id })
  } catch (error) {
    // Not left to run later: the caller is told it failed and may well try again.
    const failed = failedResponse(response, {
      code: 'jobs_unavailable',
      message: 'The job could not be queued.',
    })
    await store.settle(tenant.id, id, failed, { type: 'response.failed', response: failed })
    await forget()
    throw error
  }
  return response
}

export function failedResponse(
  response: ResponseObject,
  error: { code: string; message: string }
): ResponseObject {
  return { ...response, status: 'failed', error, completed_at: Math.floor(Date.now() / 1000) }
}

/**
 * Cancels a background response: a queued or running one ends `cancelled` now (the runner sees
 * it at its next write and stops the upstream); a finished one is returned unchanged.
 */
export async function cancelBackground(
  deps: GatewayDeps,
  tenantId: string,
  id: string
): Promise<ResponseObject | undefined> {
  const store = backgroundStore(deps.redis)
  const state = await store.read(tenantId, id)
  if (!state) return undefined
  if (isTerminal(state.status)) return state.response
  const cancelled: ResponseObject = { ...state.response, status: 'cancelled' }
  if (
    await store.settle(tenantId, id, cancelled, { type: 'response.cancelled', response: cancelled })
  ) {
    await announce(deps, tenantId, state.spec, cancelled)
    return cancelled
  }
  // It ended meanwhile: what it ended as stands.
  return (await store.current(tenantId, id)) ?? state.response
}

/**
 * The terminal status as webhook events: `response.<status>`, and `hook.completed|failed` for a
 * response an inbound hook started. Marked once emitted, so a redelivered job does not repeat it.
 */
export async function announce(
  deps: GatewayDeps,
  tenantId: string,
  spec: JobSpec,
  response: ResponseObject
): Promise<void> {
  const { status } = response
  if (!isTerminal(status)) return
  await deps.events.emit(tenantId, { type: `response.${status}`, data: response })
  if (spec.hookId) await deps.events.emit(tenantId, hookEvent(spec.hookId, response))
  await backgroundStore(deps.redis).markEmitted(tenantId, response.id)
}

function hookEvent(hookId: string, response: ResponseObject): WebhookEvent {
  const answered = response.status === 'completed' || response.status === 'incomplete'
  return {
    type: answered ? 'hook.completed' : 'hook.failed',
    data: {
      id: response.id,
      hook_id: hookId,
      response_id: response.id,
      status: response.status,
      ...(answered ? { output_text: response.output_text ?? '' } : {}),
      ...(response.error ? { error: response.error } : {}),
    },
  }
}

/**
 * The stored events after sequence number `after`, then the new ones as they are stored, until
 * the terminal event (or `followMaxMs`, after which the client resumes with `starting_after`).
 * Redis is polled every `pollMs` while nothing new is there.
 */
export function followEvents(
  deps: GatewayDeps,
  tenantId: string,
  id: string,
  after: number
): ReadableStream<Uint8Array> {
  const store = backgroundStore(deps.redis)
  const { pollMs, followMaxMs } = deps.config.background
  const until = Date.now() + followMaxMs
  let cursor = after
  let run: number | undefined
  const frame = (event: StoredEvent, sequence?: number) =>
    encodeSSE(
      JSON.stringify(sequence === undefined ? event : { ...event, sequence_number: sequence }),
      event.type
    )
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const read = await store.eventsAfter(tenantId, id, cursor)
            run ??= read.run
            if (read.run !== run) {
              // A consumer died and the run started over: these events continue another answer.
              controller.enqueue(
                frame({
                  type: 'error',
                  code: 'response_restarted',
                  message: 'The response restarted; retrieve it again from the beginning.',
                })
              )
              controller.close()
              return
            }
            for (const event of read.events) {
              cursor += 1
              controller.enqueue(frame(event, cursor))
              if (isTerminalEvent(event)) {
                controller.close()
                return
              }
            }
            if (read.events.length > 0) return
            if (Date.now() >= until) {
              controller.close()
              return
            }
            await new Promise((resolve) => setTimeout(resolve, pollMs))
          }
        } catch (error) {
          deps.report('background stream', error)
          controller.enqueue(
            frame({
              type: 'error',
              code: 'stream_interrupted',
              message: `The stream was interrupted; resume with starting_after=${cursor}.`,
            })
          )
          controller.close()
        }
      },
    },
    { highWaterMark: 0 }
  )
}

/**
 * Re-enqueues overdue jobs (lost messages, dead consumers) and pushes their deadline on, so the
 * next sweep does not send them again at once. One isolate at a time, about once per interval.
 */
export async function sweepBackground(deps: GatewayDeps): Promise<number> {
  const { sweepIntervalMs, requeueAfterMs } = deps.config.background
  const held = await deps.redis.set(BACKGROUND_SWEEP, '1', { nx: true, px: sweepIntervalMs })
  if (held !== 'OK') return 0
  const store = backgroundStore(deps.redis)
  const now = deps.clock()
  const overdue = await store.overdue(now, SWEEP_BATCH)
  if (overdue.length === 0) return 0
  await Promise.all(
    overdue.map(({ tenantId, id }) => store.due(tenantId, id, now + requeueAfterMs))
  )
  await deps.jobs.sendBatch(
    overdue.map(({ tenantId, id }) => ({ kind: 'response', tenantId, responseId: id }))
  )
  return overdue.length
}

/** A sweep piggy-backed on requests (from waitUntil): at most one per interval per isolate. */
export function backgroundSweeper(deps: GatewayDeps): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY
  return async function sweep() {
    const now = deps.clock()
    if (now - last < deps.config.background.sweepIntervalMs) return
    last = now
    try {
      await sweepBackground(deps)
    } catch (error) {
      deps.report('background sweep', error)
    }
  }
}
