/**
 * @module
 * The cap on a tenant's requests in flight: one counter, taken and checked in one script so
 * concurrent admissions cannot both see a free slot. Settle gives the slot back; the expiry
 * bounds the damage if a Worker dies before it could.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { inFlight } from '../stores/keyspace'

/** Longer than any request may run; only matters when a release was lost. */
const SLOT_TTL_MS = 10 * 60_000

const ACQUIRE = `
local taken = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if taken > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return taken
`

const RELEASE = `
local left = redis.call('DECR', KEYS[1])
if left < 0 then
  redis.call('SET', KEYS[1], 0)
  return 0
end
return left
`

/** True when a slot was taken. */
export async function acquireSlot(redis: Redis, tenantId: string, cap: number): Promise<boolean> {
  const taken = await redis.eval<string[], number>(
    ACQUIRE,
    [inFlight(tenantId)],
    [String(cap), String(SLOT_TTL_MS)]
  )
  return taken > 0
}

export async function releaseSlot(redis: Redis, tenantId: string): Promise<void> {
  await redis.eval<string[], number>(RELEASE, [inFlight(tenantId)], [])
}
