/**
 * @module
 * Tenant records in Redis, and the context a request carries once its key resolved to one.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { TENANTS } from '../upstash/keyspace'
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

export async function putTenant(redis: Redis, record: TenantRecord): Promise<void> {
  await redis.hset(TENANTS, { [record.id]: JSON.stringify(record) })
}

export function toTenantContext(record: TenantRecord): TenantContext {
  return { id: record.id, name: record.name, config: record.config }
}
