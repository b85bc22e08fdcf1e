/**
 * @module
 * Right to erasure for retrieval: deleting a tenant deletes every collection's Vector namespace.
 * The collection and document records sit under the tenant's Redis prefix and go with it.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { GatewayConfig } from '../config'
import type { TenantEraser } from '../tenant-eraser'
import { deleteCollection, listCollections, toRef, vectorIndexOf } from './collections'

export function collectionsEraser(redis: Redis, config: GatewayConfig): TenantEraser {
  return {
    name: 'retrieval_collections',
    async erase(tenantId) {
      const records = await listCollections(redis, tenantId)
      if (records.length === 0) return 0
      // Only asked for when there is something to delete: no index, no collections to find.
      const index = vectorIndexOf(config)
      for (const record of records) await deleteCollection(redis, index, toRef(tenantId, record))
      return records.length
    },
  }
}
