/**
 * @module
 * Removes everything a tenant has cached: its exact entries in Redis and its semantic namespace
 * in Vector. Serves `DELETE /v1/cache`, the admin purge and the right-to-erasure sweep.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { Index } from '@upstash/vector/cloudflare'
import type { TenantEraser } from '../tenant-eraser'
import { deleteEntries } from './exact-store'
import { dropNamespace } from './semantic-store'

export type PurgeReport = {
  object: 'cache.purged'
  exact_entries: number
  semantic_entries: number
}

export async function purgeTenantCache(
  redis: Redis,
  vector: Index | undefined,
  tenantId: string
): Promise<PurgeReport> {
  const [exact, semantic] = await Promise.all([
    deleteEntries(redis, tenantId),
    vector ? dropNamespace(vector, tenantId) : 0,
  ])
  return { object: 'cache.purged', exact_entries: exact, semantic_entries: semantic }
}

export function cacheEraser(redis: Redis, vector: Index | undefined): TenantEraser {
  return {
    name: 'cache',
    async erase(tenantId) {
      const report = await purgeTenantCache(redis, vector, tenantId)
      return report.exact_entries + report.semantic_entries
    },
  }
}
