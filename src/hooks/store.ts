/**
 * @module
 * Inbound hooks in Redis:
 *
 * - `gw:t:<tenantId>:hooks`: hook id -> JSON record, under the tenant's prefix, so its erasure
 *   sweeps them; the secret inside is sealed (AES-GCM under ENCRYPTION_KEY, bound to the hook).
 * - `gw:hook-owners`: hook id -> tenant id, the one global index: a delivery names only its hook.
 * - `gw:t:<tenantId>:hook-seen:<hookId>:<digest>`: one delivery id seen, for its replay window.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { TenantEraser } from '../tenant-eraser'
import { tenantPrefix } from '../upstash/keyspace'
import type { Verifier } from './signatures'

export type HookRecord = {
  id: string
  /** The key that created the hook: deliveries run as it, and only it manages the hook. */
  key_id: string
  name: string | null
  verifier: Verifier
  secret_sealed: string
  template: string
  instructions: string | null
  model: string
  max_output_tokens: number | null
  temperature: number | null
  enabled: boolean
  tolerance_seconds: number
  /** Unix seconds. */
  created_at: number
  updated_at: number
}

export const HOOK_OWNERS = 'gw:hook-owners'
export const hooksKey = (tenantId: string) => `${tenantPrefix(tenantId)}hooks`

export async function saveHook(redis: Redis, tenantId: string, record: HookRecord): Promise<void> {
  await redis
    .multi()
    .hset(hooksKey(tenantId), { [record.id]: JSON.stringify(record) })
    .hset(HOOK_OWNERS, { [record.id]: tenantId })
    .exec()
}

export async function loadHook(
  redis: Redis,
  tenantId: string,
  id: string
): Promise<HookRecord | undefined> {
  return (await redis.hget<HookRecord>(hooksKey(tenantId), id)) ?? undefined
}

/** A delivery names only the hook: its tenant comes from the index. */
export async function findHook(
  redis: Redis,
  id: string
): Promise<{ tenantId: string; hook: HookRecord } | undefined> {
  const tenantId = await redis.hget<string>(HOOK_OWNERS, id)
  if (typeof tenantId !== 'string') return undefined
  const hook = await loadHook(redis, tenantId, id)
  return hook && { tenantId, hook }
}

export async function listHooks(redis: Redis, tenantId: string): Promise<HookRecord[]> {
  const all = await redis.hgetall<Record<string, HookRecord>>(hooksKey(tenantId))
  return Object.values(all ?? {}).sort((a, b) => a.created_at - b.created_at)
}

export async function deleteHook(redis: Redis, tenantId: string, id: string): Promise<void> {
  await redis.multi().hdel(hooksKey(tenantId), id).hdel(HOOK_OWNERS, id).exec()
}

/** The hook index entries outside the tenant's prefix. */
export function hookOwnersEraser(redis: Redis): TenantEraser {
  return {
    name: 'hooks',
    async erase(tenantId) {
      const ids = await redis.hkeys(hooksKey(tenantId))
      return ids.length > 0 ? redis.hdel(HOOK_OWNERS, ...ids) : 0
    },
  }
}
