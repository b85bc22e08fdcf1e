/**
 * @module
 * Counter increments (usage, spend) from all requests an isolate serves within a few
 * milliseconds, merged and written in one pipeline. Increments commute, so merging loses nothing;
 * under load it turns one Redis round trip per request into one per flush, and fewer commands
 * (Upstash bills per command). The request that opens a batch writes it from its own `waitUntil`,
 * so the isolate stays alive until the batch is written; no I/O crosses request contexts.
 */
import type { Redis } from '@upstash/redis/cloudflare'

export type CounterIncrement =
  /** INCRBY on a string counter. */
  | { key: string; amount: number; field?: undefined }
  /** HINCRBY, or HINCRBYFLOAT when `float`, on a hash field. */
  | { key: string; field: string; amount: number; float?: boolean }

type Batch = { increments: Map<string, CounterIncrement>; expiries: Map<string, number> }

/** Long enough for concurrent requests to share a flush, short against any read-back. */
const FLUSH_AFTER_MS = 10

const open = new Map<Redis, Batch>()

/**
 * Queues increments and the TTLs of their keys. Resolves once they are written, for the request
 * that opened the batch; immediately for the others, whose increments that request writes.
 */
export function addCounters(
  redis: Redis,
  increments: CounterIncrement[],
  ttls: Record<string, number>
): Promise<void> {
  // One bad amount would fail the whole pipeline, losing every request's increments with it:
  // refuse it here, so only its own request fails, and loudly, in that request's settle log.
  const invalid = increments.find((increment) => !validAmount(increment))
  if (invalid) {
    const kind = invalid.field === undefined ? 'counter' : 'hash counter'
    return Promise.reject(
      new RangeError(`Refused a ${kind} increment of ${invalid.amount}: not a finite number`)
    )
  }
  let batch = open.get(redis)
  const opensBatch = batch === undefined
  if (!batch) {
    batch = { increments: new Map(), expiries: new Map() }
    open.set(redis, batch)
  }
  for (const increment of increments) merge(batch, increment)
  for (const [key, seconds] of Object.entries(ttls)) batch.expiries.set(key, seconds)
  return opensBatch ? flushLater(redis, batch) : Promise.resolve()
}

/** INCRBY and HINCRBY take 64-bit integers; HINCRBYFLOAT takes any finite number. */
function validAmount(increment: CounterIncrement): boolean {
  const float = increment.field !== undefined && increment.float === true
  return float ? Number.isFinite(increment.amount) : Number.isSafeInteger(increment.amount)
}

function merge(batch: Batch, increment: CounterIncrement): void {
  if (increment.amount === 0) return
  const id = `${increment.key}\u0000${increment.field ?? ''}`
  const queued = batch.increments.get(id)
  if (queued) queued.amount += increment.amount
  else batch.increments.set(id, { ...increment })
}

async function flushLater(redis: Redis, batch: Batch): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, FLUSH_AFTER_MS))
  open.delete(redis)
  if (batch.increments.size === 0) return
  const pipeline = redis.pipeline()
  for (const { key, field, amount, ...rest } of batch.increments.values()) {
    if (field === undefined) pipeline.incrby(key, amount)
    else if ('float' in rest && rest.float) pipeline.hincrbyfloat(key, field, amount)
    else pipeline.hincrby(key, field, amount)
  }
  for (const [key, seconds] of batch.expiries) pipeline.expire(key, seconds)
  await pipeline.exec()
}
