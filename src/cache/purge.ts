/**
 * @module
 * Removes everything a tenant has cached: its exact entries in Redis and its semantic namespace
 * in Vector. Serves `DELETE /v1/cache`, the admin purge and the right-to-erasure sweep.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { getRedis } from '../stores/redis'
import { getVectorIndex } from '../stores/vector'
import { registerTenantEraser } from '../tenancy/erasure'
import { deleteEntries } from './exact-store'
import { dropNamespace } from './semantic-store'

export type PurgeReport = {
  object: 'cache.purged'
  exact_entries: number
  semantic_entries: number
}

export async function purgeTenantCache(c: Context<AppEnv>, tenantId: string): Promise<PurgeReport> {
  const { config } = c.var
  const [exact, semantic] = await Promise.all([
    deleteEntries(getRedis(config), tenantId),
    config.vector ? dropNamespace(getVectorIndex(config.vector), tenantId) : 0,
  ])
  return { object: 'cache.purged', exact_entries: exact, semantic_entries: semantic }
}

registerTenantEraser('cache', async (tenantId, c) => {
  const report = await purgeTenantCache(c, tenantId)
  return report.exact_entries + report.semantic_entries
})
