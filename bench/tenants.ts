/**
 * Benchmark tenants and keys, created through the gateway's admin API like any other, with the
 * tenant config each profile needs (src/tenancy/schema.ts).
 */
import { createTenantWithKey, type TenantWithKey } from '../dev/lib/admin-client.ts'

export type TenantConfig = Record<string, unknown>

/** Limits far above what a run can reach: every check runs, none refuses. */
export const UNREACHABLE_LIMITS = {
  requests_per_minute: 10_000_000,
  tokens_per_minute: 1_000_000_000,
  max_concurrent: 10_000,
  key_requests_per_minute: 10_000_000,
}

/** No limits, no budget, no cache: authentication and the relay only. */
export const PASS_THROUGH: TenantConfig = {}

/** Exact and semantic answer cache on (src/cache/settings.ts). */
export const CACHE_ON = { enabled: true, semantic: { enabled: true } }

/** Every check on the request path, none of them refusing; unique prompts make both caches miss. */
export const FULL: TenantConfig = {
  limits: UNREACHABLE_LIMITS,
  budget: { monthly_hard_usd: 1_000_000, monthly_soft_usd: 900_000 },
  cache: CACHE_ON,
}

export async function createTenantKey(
  gatewayUrl: string,
  adminToken: string,
  name: string,
  config: TenantConfig
): Promise<string> {
  return (await createTenant(gatewayUrl, adminToken, name, config)).apiKey
}

export async function createTenant(
  gatewayUrl: string,
  adminToken: string,
  name: string,
  config: TenantConfig
): Promise<TenantWithKey> {
  return createTenantWithKey(gatewayUrl, adminToken, { name, config, keyName: 'bench' })
}

/** More keys for one tenant, a few requests at a time so the admin API is not flooded. */
export async function createKeys(
  gatewayUrl: string,
  adminToken: string,
  tenantId: string,
  count: number
): Promise<string[]> {
  const secrets: string[] = []
  const PARALLEL = 8
  for (let start = 0; start < count; start += PARALLEL) {
    const batch = Array.from({ length: Math.min(PARALLEL, count - start) }, async () => {
      const response = await fetch(`${gatewayUrl}/admin/tenants/${tenantId}/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench-cold' }),
      })
      const json = (await response.json()) as { secret?: unknown }
      if (!response.ok || typeof json.secret !== 'string') {
        throw new Error(`creating a key answered ${response.status}: ${JSON.stringify(json)}`)
      }
      return json.secret
    })
    secrets.push(...(await Promise.all(batch)))
  }
  return secrets
}
