/** What the admin API shows of stored records: never a secret, a digest or a sealed key. */
import { describeProviders } from '../../tenancy/credentials'
import type { ListedKey } from '../../tenancy/keys'
import type { KeyRecord, TenantRecord } from '../../tenancy/records'

export function tenantView(record: TenantRecord) {
  const { providers, ...config } = record.config
  return {
    id: record.id,
    object: 'tenant' as const,
    name: record.name,
    config: { ...config, providers: describeProviders(providers) },
    created_at: record.created_at,
    updated_at: record.updated_at,
  }
}

export function keyView(record: KeyRecord | ListedKey) {
  return {
    id: record.id,
    object: 'api_key' as const,
    tenant_id: record.tenant_id,
    name: record.name,
    prefix: record.prefix,
    scopes: record.scopes,
    requests_per_minute: record.requests_per_minute ?? null,
    budget: record.budget ?? null,
    created_at: record.created_at,
    last_used_at: 'last_used_at' in record ? record.last_used_at : null,
    expires_at: record.expires_at ?? null,
    rotated_at: record.rotated_at ?? null,
    revoked_at: record.revoked_at ?? null,
  }
}
