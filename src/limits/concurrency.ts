/**
 * @module
 * The cap on a tenant's requests in flight: a sorted set of request ids scored by start time,
 * trimmed, counted and joined in one script so concurrent admissions cannot both take the last
 * slot. Settle removes the id; an id whose release was lost (a Worker killed mid-request) ages
 * out after SLOT_TTL_MS on its own instead of holding a slot forever.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { randomBase64Url } from '../lib/crypto'
import { inFlight } from '../upstash/keyspace'
import { luaScript, runScript } from '../upstash/scripts'

/** Longer than any request may run; only matters when a release was lost. */
const SLOT_TTL_MS = 10 * 60_000

const ACQUIRE = luaScript(`
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`)

/** The slot's id when one was taken, `undefined` when the tenant is at its cap. */
export async function acquireSlot(
  redis: Pick<Redis, 'eval' | 'evalsha'>,
  tenantId: string,
  cap: number,
  now: number
): Promise<string | undefined> {
  const slot = randomBase64Url(12)
  const taken = await runScript<number>(
    redis,
    ACQUIRE,
    [inFlight(tenantId)],
    [String(cap), String(now), String(SLOT_TTL_MS), slot]
  )
  return taken === 1 ? slot : undefined
}

export async function releaseSlot(
  redis: Pick<Redis, 'zrem'>,
  tenantId: string,
  slot: string
): Promise<void> {
  await redis.zrem(inFlight(tenantId), slot)
}
