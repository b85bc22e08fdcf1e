/**
 * A development tenant and API key for `npm start`, created through the admin API like any other
 * and remembered in the data folder, so restarts print the same working key.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

export type SeededTenant = { tenantId: string; apiKey: string }

export async function seedDevelopmentTenant(
  url: string,
  adminToken: string,
  file: string
): Promise<SeededTenant> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SeededTenant
    const check = await fetch(`${url}/v1/models`, {
      headers: { authorization: `Bearer ${saved.apiKey}` },
    })
    await check.body?.cancel()
    if (check.ok) return saved
  }
  const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }
  const tenant = await postJson(`${url}/admin/tenants`, admin, { name: 'development' })
  const tenantId = String(tenant.id)
  const key = await postJson(`${url}/admin/tenants/${tenantId}/keys`, admin, { name: 'npm start' })
  const seeded = { tenantId, apiKey: String(key.secret) }
  writeFileSync(file, JSON.stringify(seeded), { mode: 0o600 })
  return seeded
}

async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown
): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok)
    throw new Error(`seeding failed: ${url} answered ${response.status} ${JSON.stringify(json)}`)
  return json
}
