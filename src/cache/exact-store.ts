/**
 * @module
 * Exact answers in Redis, under the tenant's prefix (so erasing a tenant sweeps them too), one
 * key per request hash, expiring with the entry's TTL.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { tenantPrefix } from '../stores/keyspace'

/** A stored answer: the non-streamed completion, whichever way it was first delivered. */
export type CacheEntry = {
  completion: ChatCompletion
  /** `provider/model` that first answered, for metering hits. */
  model: string
  storedAt: number
}

export function exactCacheKey(tenantId: string, hash: string): string {
  return `${tenantPrefix(tenantId)}cache:${hash}`
}

export async function readEntry(
  redis: Redis,
  tenantId: string,
  hash: string
): Promise<CacheEntry | undefined> {
  return (await redis.get<CacheEntry>(exactCacheKey(tenantId, hash))) ?? undefined
}

export async function writeEntry(
  redis: Redis,
  tenantId: string,
  hash: string,
  entry: CacheEntry,
  ttlSeconds: number
): Promise<void> {
  await redis.set(exactCacheKey(tenantId, hash), entry, { ex: ttlSeconds })
}

/** Every exact entry of the tenant; returns how many were removed. */
export async function deleteEntries(redis: Redis, tenantId: string): Promise<number> {
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
