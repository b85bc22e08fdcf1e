/**
 * @module
 * Tenant records in Redis, and the context a request carries once its key resolved to one.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { registryEntry } from '../end-users/origin-registry'
import { CORS_ORIGINS, TENANTS } from '../upstash/keyspace'
import { parseStored, type TenantRecord, TenantRecordSchema } from './records'
import type { TenantContext } from './types'

export async function getTenant(redis: Redis, tenantId: string): Promise<TenantRecord | undefined> {
  return parseStored(TenantRecordSchema(), await redis.hget(TENANTS, tenantId), 'tenant')
}

export async function listTenants(redis: Redis): Promise<TenantRecord[]> {
  const all = (await redis.hgetall<Record<string, unknown>>(TENANTS)) ?? {}
  return Object.values(all)
    .map((value) => parseStored(TenantRecordSchema(), value, 'tenant'))
    .filter((record): record is TenantRecord => record !== undefined)
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
}

/** With the record, its entry in the gateway-wide CORS index (src/end-users/origin-registry.ts). */
export async function putTenant(redis: Redis, record: TenantRecord): Promise<void> {
  const origins = registryEntry(record.config.end_users?.cors_origins)
  const transaction = redis.multi().hset(TENANTS, { [record.id]: JSON.stringify(record) })
  if (origins) transaction.hset(CORS_ORIGINS, { [record.id]: origins })
  else transaction.hdel(CORS_ORIGINS, record.id)
  await transaction.exec()
}

export function toTenantContext(record: TenantRecord): TenantContext {
  return { id: record.id, name: record.name, config: record.config }
}
