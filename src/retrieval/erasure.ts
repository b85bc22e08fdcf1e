/**
 * @module
 * Right to erasure for retrieval: deleting a tenant deletes every collection's Vector namespace.
 * The collection and document records sit under the tenant's Redis prefix and go with it.
 */
import { getRedis } from '../stores/redis'
import { registerTenantEraser } from '../tenancy/erasure'
import { deleteCollection, listCollections, toRef, vectorIndexOf } from './collections'

registerTenantEraser('retrieval_collections', async (tenantId, c) => {
  const redis = getRedis(c.var.config)
  const records = await listCollections(redis, tenantId)
  if (records.length === 0) return 0
  const index = vectorIndexOf(c.var.config)
  for (const record of records) await deleteCollection(redis, index, toRef(tenantId, record))
  return records.length
})
