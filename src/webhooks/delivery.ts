/**
 * @module
 * One delivery attempt per queue message, as Standard Webhooks asks: the stored event, signed
 * per attempt, POSTed with a timeout and without following redirects. Only a 2xx succeeds. A
 * failure is retried through the queue's delayed retry on the configured schedule (Svix's by
 * default), later when the receiver says so with `Retry-After`; a 410, or a streak of failed
 * deliveries, disables the endpoint; `webhook-delivery: abort-message` ends the delivery.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { WebhookSettings } from '../config'
import type { JobHandlers, JobOutcome } from '../jobs/consumer'
import type { DeliveryJob } from '../jobs/messages'
import { describeError } from '../lib/log'
import {
  type AttemptEntry,
  type AttemptOutcome,
  type DeliveryState,
  deliveryState,
  recordAttempt,
} from './delivery-log'
import type { EndpointRecord, EndpointStore, EndpointStoreOptions } from './endpoints'
import { urlRefusal } from './endpoints'
import { webhookFailureStreaks } from './keys'
import { findMessage, type StoredMessage } from './messages'
import { signWebhook } from './signature'

/** Queues delay a message by at most 24 h; so does a receiver's `Retry-After`. */
export const MAX_RETRY_AFTER_SECONDS = 86_400

/** The statuses Standard Webhooks calls throttling: their `Retry-After` is honoured. */
const THROTTLING = new Set([429, 502, 503, 504])

export type DeliveryOptions = {
  redis: Redis
  endpoints: EndpointStore
  settings: WebhookSettings
  urlPolicy: EndpointStoreOptions['config']
  clock: () => number
  report(what: string, error: unknown): void
  /** Where the line saying an endpoint was disabled goes. */
  log?: (line: string) => void
}

/** What the receiver did with one attempt. */
export type AttemptResult =
  | { status: number; retryAfter: string | null; abort: boolean }
  | { error: string }

/** What becomes of the delivery after an attempt. */
export type Verdict = {
  outcome: AttemptOutcome
  retrySeconds?: number
  /** Why the endpoint must be disabled now, whatever the streak. */
  disable?: string
}

export function deliveryHandler(options: DeliveryOptions): JobHandlers['delivery'] {
  const { redis, endpoints, settings, clock, report } = options
  const log = options.log ?? ((line: string) => console.warn(line))

  async function disable(tenantId: string, endpointId: string, reason: string): Promise<void> {
    if (!(await endpoints.disable(tenantId, endpointId, reason))) return
    log(
      JSON.stringify({
        level: 'warn',
        what: 'webhook endpoint disabled',
        tenant_id: tenantId,
        endpoint_id: endpointId,
        reason,
      })
    )
  }

  /** A success ends the streak; a delivery that ended failed extends it, maybe past the limit. */
  async function countStreak(job: DeliveryJob, outcome: AttemptOutcome): Promise<void> {
    const streaks = webhookFailureStreaks(job.tenantId)
    if (outcome === 'succeeded') {
      await redis.hdel(streaks, job.endpointId)
      return
    }
    if (outcome !== 'failed') return
    const streak = await redis.hincrby(streaks, job.endpointId, 1)
    if (streak >= settings.disableAfterFailures) {
      await disable(job.tenantId, job.endpointId, `${streak} consecutive failed deliveries`)
    }
  }

  return async function deliver(job, context): Promise<JobOutcome> {
    const { tenantId, endpointId, messageId } = job
    const [endpoint, message, state] = await Promise.all([
      endpoints.find(tenantId, endpointId),
      findMessage(redis, tenantId, messageId),
      deliveryState(redis, tenantId, endpointId, messageId),
    ])
    // Gone, expired, switched off or already settled (a redelivered job): nothing to send.
    if (!endpoint?.enabled || !message || state.outcome !== 'pending') return { ack: true }
    const attempt = state.attempts + 1
    const startedAt = clock()
    let result: AttemptResult
    if (context.deadLettered) {
      result = { error: 'the job kept failing before the attempt could be made' }
    } else {
      const refusal = urlRefusal(endpoint.url, options.urlPolicy)
      result = refusal
        ? { error: `the URL ${refusal}` }
        : await send(endpoint, message, await endpoints.signingSecrets(tenantId, endpoint), {
            timeoutMs: settings.timeoutMs,
            timestamp: Math.floor(startedAt / 1000),
          })
    }
    const verdict = context.deadLettered
      ? { outcome: 'failed' as const }
      : judge(result, attempt, settings.retrySchedule, clock())
    const finishedAt = clock()
    const entry: AttemptEntry = {
      object: 'webhook_attempt',
      message_id: messageId,
      event_type: message.type,
      attempt,
      timestamp: new Date(startedAt).toISOString(),
      status_code: 'status' in result ? result.status : null,
      error: 'error' in result ? result.error : null,
      latency_ms: finishedAt - startedAt,
      outcome: verdict.outcome,
      next_retry_at:
        verdict.retrySeconds === undefined
          ? null
          : new Date(finishedAt + verdict.retrySeconds * 1000).toISOString(),
    }
    const next: DeliveryState = {
      attempts: attempt,
      outcome: verdict.outcome === 'retrying' ? 'pending' : verdict.outcome,
    }
    await recordAttempt(redis, tenantId, endpointId, entry, next)
    try {
      if (verdict.disable) await disable(tenantId, endpointId, verdict.disable)
      await countStreak(job, verdict.outcome)
    } catch (error) {
      // The attempt is recorded and its job settles as judged: a lost streak update only delays
      // a disable, which must not send the delivery round again.
      report('webhook endpoint health', error)
    }
    return verdict.retrySeconds === undefined
      ? { ack: true }
      : { retrySeconds: verdict.retrySeconds }
  }
}

async function send(
  endpoint: EndpointRecord,
  message: StoredMessage,
  secrets: string[],
  options: { timeoutMs: number; timestamp: number }
): Promise<AttemptResult> {
  const data = endpoint.payload === 'full' ? message.data : { id: message.data.id }
  const body = JSON.stringify({ type: message.type, timestamp: message.timestamp, data })
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'edge-llm-gateway-webhooks/1',
        'webhook-id': message.id,
        'webhook-timestamp': String(options.timestamp),
        'webhook-signature': await signWebhook(secrets, message.id, options.timestamp, body),
      },
      body,
      // A 3xx is a failure: following it would send the event where the tenant did not say.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    await response.body?.cancel()
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      abort: response.headers.get('webhook-delivery')?.trim().toLowerCase() === 'abort-message',
    }
  } catch (error) {
    const { error: name, detail } = describeError(error)
    return {
      error: name === 'TimeoutError' ? `timed out after ${options.timeoutMs} ms` : (detail ?? name),
    }
  }
}

/** The schedule's verdict on attempt number `attempt` (1-based) of a delivery. */
export function judge(
  result: AttemptResult,
  attempt: number,
  schedule: readonly number[],
  now: number
): Verdict {
  if ('status' in result) {
    if (result.status >= 200 && result.status < 300) return { outcome: 'succeeded' }
    if (result.abort) return { outcome: 'aborted' }
    if (result.status === 410) {
      return { outcome: 'failed', disable: 'the endpoint answered 410 Gone' }
    }
  }
  const scheduled = schedule[attempt]
  if (scheduled === undefined) return { outcome: 'failed' }
  const asked =
    'status' in result && THROTTLING.has(result.status)
      ? retryAfterSeconds(result.retryAfter, now)
      : undefined
  return {
    outcome: 'retrying',
    retrySeconds: Math.min(Math.max(scheduled, asked ?? 0), MAX_RETRY_AFTER_SECONDS),
  }
}

/** `Retry-After` as seconds from `now`: delta-seconds or an HTTP date; `undefined` if neither. */
export function retryAfterSeconds(value: string | null, now: number): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, Math.ceil((at - now) / 1000))
}
