/**
 * @module
 * Right to erasure. `DELETE /admin/tenants/:id` removes the tenant's keys and every Redis entry
 * under its prefix (usage, budgets, limit counters); features that keep tenant data elsewhere
 * (cached answers, retrieval documents) each provide an eraser, and the app passes the whole list
 * in explicitly, so what an erasure covers never depends on which modules happened to load.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { TenantEraser } from '../tenant-eraser'
import { KEY_OWNERS, secretIndex, TENANTS, tenantPrefix } from '../upstash/keyspace'
import { forgetTenant } from './key-cache'
import { listKeys, liveSecretHashes } from './keys'

export type ErasureReport = Record<string, number>

/**
 * Keys go first, so no new traffic arrives while data is removed; the tenant record goes last,
 * so a failed eraser leaves a tenant the admin can delete again.
 */
export async function eraseTenant(
  redis: Redis,
  tenantId: string,
  erasers: readonly TenantEraser[]
): Promise<ErasureReport> {
  const keys = await listKeys(redis, tenantId)
  const secrets = keys.flatMap(liveSecretHashes).map(secretIndex)
  const transaction = redis.multi()
  if (secrets.length > 0) transaction.del(...secrets)
  if (keys.length > 0) transaction.hdel(KEY_OWNERS, ...keys.map((key) => key.id))
  await transaction.exec()
  forgetTenant(tenantId)

  const report: ErasureReport = { api_keys: keys.length }
  for (const eraser of erasers) report[eraser.name] = await eraser.erase(tenantId)
  report.redis_entries = await deleteByPrefix(redis, tenantPrefix(tenantId))
  await redis.hdel(TENANTS, tenantId)
  forgetTenant(tenantId)
  return report
}

async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let removed = 0
  do {
    const [next, found] = await redis.scan(cursor, { match: `${prefix}*`, count: 500 })
    cursor = String(next)
    if (found.length > 0) removed += await redis.del(...found)
  } while (cursor !== '0')
  return removed
}
