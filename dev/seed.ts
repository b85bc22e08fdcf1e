/**
 * A development tenant and API key for `npm start`, created through the admin API like any other
 * and remembered in the data folder, so restarts print the same working key.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createTenantWithKey, type TenantWithKey } from './lib/admin-client.ts'

export async function seedDevelopmentTenant(
  url: string,
  adminToken: string,
  file: string
): Promise<TenantWithKey> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as TenantWithKey
    const check = await fetch(`${url}/v1/models`, {
      headers: { authorization: `Bearer ${saved.apiKey}` },
    })
    await check.body?.cancel()
    if (check.ok) return saved
  }
  const seeded = await createTenantWithKey(url, adminToken, {
    name: 'development',
    // The local stand-in's embedder scores paraphrases around 0.90-0.92 (README, Caching).
    config: { cache: { enabled: true, semantic: { enabled: true, threshold: 0.9 } } },
    keyName: 'npm start',
  })
  writeFileSync(file, JSON.stringify(seeded), { mode: 0o600 })
  return seeded
}
