/**
 * @module
 * Each endpoint's delivery log and each delivery's state. The log is a capped Redis list of
 * attempts, newest first, that expires a month after the last one; the state (attempts made,
 * outcome) is what keeps the retry schedule's count apart from the queue's redeliveries, and
 * what lets a redelivered job see that its delivery already ended.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'
import { parseStored } from '../tenancy/records'
import { luaScript, runScript } from '../upstash/scripts'
import { webhookAttempts, webhookDelivery } from './keys'

export const LOG_TTL_SECONDS = 30 * 86_400
export const MAX_LOGGED_ATTEMPTS = 500

export type DeliveryOutcome = 'pending' | 'succeeded' | 'failed' | 'aborted'

export type DeliveryState = { attempts: number; outcome: DeliveryOutcome }

export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed' | 'aborted'

export type AttemptEntry = {
  object: 'webhook_attempt'
  /** The delivery is the message to this endpoint: its id is the `webhook-id` sent. */
  message_id: string
  event_type: string
  attempt: number
  timestamp: string
  status_code: number | null
  error: string | null
  latency_ms: number
  outcome: AttemptOutcome
  next_retry_at: string | null
}

const DeliveryStateSchema = lazy(() =>
  z.object({
    attempts: z.number(),
    outcome: z.enum(['pending', 'succeeded', 'failed', 'aborted']),
  })
)

export async function deliveryState(
  redis: Redis,
  tenantId: string,
  endpointId: string,
  messageId: string
): Promise<DeliveryState> {
  const value = await redis.get(webhookDelivery(tenantId, endpointId, messageId))
  return (
    parseStored(DeliveryStateSchema(), value, 'webhook delivery') ?? {
      attempts: 0,
      outcome: 'pending',
    }
  )
}

/** One round trip: the attempt joins the log, and the delivery's state moves on. */
export async function recordAttempt(
  redis: Redis,
  tenantId: string,
  endpointId: string,
  entry: AttemptEntry,
  state: DeliveryState
): Promise<void> {
  const log = webhookAttempts(tenantId, endpointId)
  await redis
    .pipeline()
    .lpush(log, JSON.stringify(entry))
    .ltrim(log, 0, MAX_LOGGED_ATTEMPTS - 1)
    .expire(log, LOG_TTL_SECONDS)
    .set(webhookDelivery(tenantId, endpointId, entry.message_id), JSON.stringify(state), {
      ex: LOG_TTL_SECONDS,
    })
    .exec()
}

/** A replay starts the delivery over: a fresh schedule, under the same `webhook-id`. */
/** Starts the delivery over unless it is still pending: two retry chains would both send. */
const RESTART = luaScript(`local current = redis.call('GET', KEYS[1])
if current and string.find(current, '"outcome":"pending"', 1, true) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`)

/** False when the delivery is still pending (its retries are on the queue). */
export async function restartDelivery(
  redis: Redis,
  tenantId: string,
  endpointId: string,
  messageId: string
): Promise<boolean> {
  const state: DeliveryState = { attempts: 0, outcome: 'pending' }
  const restarted = await runScript<number>(
    redis,
    RESTART,
    [webhookDelivery(tenantId, endpointId, messageId)],
    [JSON.stringify(state), String(LOG_TTL_SECONDS)]
  )
  return restarted === 1
}

export const AttemptsQuerySchema = lazy(() =>
  z.object({
    limit: z._default(
      z.pipe(
        z.string().check(z.regex(/^\d+$/)),
        z.pipe(z.transform(Number), z.int().check(z.minimum(1), z.maximum(100)))
      ),
      20
    ),
    /** The `next_cursor` of the previous page. */
    cursor: z.optional(
      z.pipe(
        z.string().check(z.regex(/^\d+$/)),
        z.pipe(z.transform(Number), z.int().check(z.maximum(MAX_LOGGED_ATTEMPTS)))
      )
    ),
  })
)

/** A page of the log, newest first. The cursor counts entries: new attempts shift it. */
export async function listAttempts(
  redis: Redis,
  tenantId: string,
  endpointId: string,
  page: { limit: number; cursor?: number | undefined }
): Promise<{ data: unknown[]; has_more: boolean; next_cursor: string | null }> {
  const start = page.cursor ?? 0
  // One more than asked: whether there is a next page, without a second command.
  const entries = await redis.lrange<unknown>(
    webhookAttempts(tenantId, endpointId),
    start,
    start + page.limit
  )
  const data = entries.slice(0, page.limit)
  const hasMore = entries.length > page.limit
  return { data, has_more: hasMore, next_cursor: hasMore ? String(start + page.limit) : null }
}
