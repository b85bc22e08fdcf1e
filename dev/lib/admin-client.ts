/**
 * Tenants and keys for the local tools (npm start's dev tenant, the benchmarks), created through
 * the gateway's admin API like any other.
 */

export type TenantWithKey = { tenantId: string; apiKey: string }

export async function createTenantWithKey(
  gatewayUrl: string,
  adminToken: string,
  tenant: { name: string; config?: Record<string, unknown>; keyName: string }
): Promise<TenantWithKey> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }
  const created = await postJson(`${gatewayUrl}/admin/tenants`, headers, {
    name: tenant.name,
    config: tenant.config ?? {},
  })
  const tenantId = String(created.id)
  const key = await postJson(`${gatewayUrl}/admin/tenants/${tenantId}/keys`, headers, {
    name: tenant.keyName,
  })
  return { tenantId, apiKey: String(key.secret) }
}

async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown
): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(json)}`)
  return json
}
