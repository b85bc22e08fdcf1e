/**
 * @module
 * Exact answers in Redis, under the tenant's prefix (so erasing a tenant sweeps them too), one
 * key per request hash, expiring with the entry's TTL. The isolate also keeps the answers it
 * stored or read lately, so a repeated question is answered with no round trip at all; a purge
 * made through another isolate reaches those copies within `LOCAL_MAX_AGE_MS`.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { tenantPrefix } from '../upstash/keyspace'

/** A stored answer: the non-streamed completion, whichever way it was first delivered. */
export type CacheEntry = {
  completion: ChatCompletion
  /** `provider/model` that first answered, for metering hits. */
  model: string
  storedAt: number
  /** When the entry's TTL ends (ms since the epoch); older entries without it expire with Redis. */
  expiresAt?: number
}

/** How long an isolate serves its own copy without asking Redis (bounds a purge's reach). */
export const LOCAL_MAX_AGE_MS = 30_000
const LOCAL_MAX_ENTRIES = 256
/** Larger answers are not worth the isolate's memory (128 MB for everything it does). */
const LOCAL_MAX_TEXT_CHARS = 32_000

type LocalCopy = { entry: CacheEntry; until: number }
const local = new Map<string, LocalCopy>()

function keepLocally(key: string, entry: CacheEntry, now: number): void {
  if (entry.expiresAt === undefined || answerChars(entry) > LOCAL_MAX_TEXT_CHARS) return
  local.delete(key)
  local.set(key, { entry, until: Math.min(entry.expiresAt, now + LOCAL_MAX_AGE_MS) })
  // A Map iterates in insertion order: the first key is the least recently kept.
  const oldest = local.keys().next().value
  if (local.size > LOCAL_MAX_ENTRIES && oldest !== undefined) local.delete(oldest)
}

function answerChars(entry: CacheEntry): number {
  return entry.completion.choices.reduce(
    (sum, choice) =>
      sum +
      (choice.message.content?.length ?? 0) +
      JSON.stringify(choice.message.tool_calls ?? []).length,
    0
  )
}

export function exactCacheKey(tenantId: string, hash: string): string {
  return `${tenantPrefix(tenantId)}cache:${hash}`
}

/** The isolate's own copy, if it holds a live one: no round trip at all. */
export function heldEntry(tenantId: string, hash: string, now: number): CacheEntry | undefined {
  const key = exactCacheKey(tenantId, hash)
  const copy = local.get(key)
  if (copy && copy.until > now) return copy.entry
  local.delete(key)
  return undefined
}

/**
 * Reads the entry from Redis. GETEX without options reads exactly as GET does, but
 * `@upstash/redis` auto-pipelines it with writes rather than in a separate read pipeline, so it
 * rides in the same HTTP request as the admission scripts issued in the same tick.
 */
export async function fetchEntry(
  redis: Pick<Redis, 'getex'>,
  tenantId: string,
  hash: string,
  now: number
): Promise<CacheEntry | undefined> {
  const key = exactCacheKey(tenantId, hash)
  const entry = (await redis.getex<CacheEntry>(key)) ?? undefined
  if (entry) keepLocally(key, entry, now)
  return entry
}

/** The Redis write, for the isolate's write batch; the local copy is kept at once. */
export function writeEntry(
  redis: Pick<Redis, 'set'>,
  tenantId: string,
  hash: string,
  entry: CacheEntry,
  ttlSeconds: number
): () => Promise<unknown> {
  const key = exactCacheKey(tenantId, hash)
  const stored = { ...entry, expiresAt: entry.storedAt + ttlSeconds * 1000 }
  keepLocally(key, stored, entry.storedAt)
  return () => redis.set(key, stored, { ex: ttlSeconds })
}

/** Every exact entry of the tenant; returns how many were removed. */
export async function deleteEntries(redis: Redis, tenantId: string): Promise<number> {
  const prefix = exactCacheKey(tenantId, '')
  for (const key of local.keys()) if (key.startsWith(prefix)) local.delete(key)
  let cursor = '0'
  let removed = 0
  do {
    const [next, found] = await redis.scan(cursor, {
      match: exactCacheKey(tenantId, '*'),
      count: 500,
    })
    cursor = String(next)
    if (found.length > 0) removed += await redis.del(...found)
  } while (cursor !== '0')
  return removed
}
