/**
 * @module
 * Bring-your-own provider keys. A tenant's secrets are sealed with AES-GCM under ENCRYPTION_KEY,
 * bound to the tenant and provider, and opened only when a request is about to use them. The
 * deployment's own provider keys are a fallback the tenant must allow.
 */
import type { GatewayConfig } from '../config'
import { GatewayError } from '../errors'
import { seal, unseal } from '../lib/crypto'
import { unsafeUpstreamReason } from '../lib/ssrf'
import type { TenantConfig, TenantContext } from './types'

export type ProviderCredentials = { apiKey?: string; baseUrl?: string }
type StoredProviders = NonNullable<TenantConfig['providers']>
type ProviderInput = { api_key?: string; base_url?: string } | null

export async function providerCredentials(
  config: GatewayConfig,
  tenant: TenantContext,
  provider: string
): Promise<ProviderCredentials | 'deployment' | 'denied'> {
  const stored = tenant.config.providers?.[provider]
  if (stored && (stored.api_key_sealed || stored.base_url)) {
    // Checked again at use: the deployment may have moved to production since the URL was saved.
    if (stored.base_url && unsafeUpstreamReason(stored.base_url, config)) return 'denied'
    const apiKey = stored.api_key_sealed
      ? await unseal(stored.api_key_sealed, encryptionKey(config), sealContext(tenant.id, provider))
      : undefined
    return { apiKey, baseUrl: stored.base_url }
  }
  return tenant.config.allow_deployment_keys === false ? 'denied' : 'deployment'
}

/**
 * Merges provider entries from an admin request into the stored ones: secrets are sealed, URLs
 * pass the SSRF guard, an entry without `api_key` keeps the stored secret, `null` removes it.
 */
export async function sealProviders(
  config: GatewayConfig,
  tenantId: string,
  current: StoredProviders | undefined,
  input: Record<string, ProviderInput>
): Promise<StoredProviders> {
  const merged: StoredProviders = { ...current }
  for (const [provider, entry] of Object.entries(input)) {
    if (entry === null) {
      delete merged[provider]
      continue
    }
    if (entry.base_url) {
      const reason = unsafeUpstreamReason(entry.base_url, config)
      if (reason) {
        throw new GatewayError(400, `The base URL for ${provider} ${reason}.`, {
          param: `config.providers.${provider}.base_url`,
          code: 'unsafe_upstream_url',
        })
      }
    }
    const sealedKey = entry.api_key
      ? await seal(entry.api_key, encryptionKey(config), sealContext(tenantId, provider))
      : current?.[provider]?.api_key_sealed
    merged[provider] = { api_key_sealed: sealedKey, base_url: entry.base_url }
  }
  return merged
}

/** What the admin API shows of a tenant's providers: never the secret, only that one is stored. */
export function describeProviders(
  providers: StoredProviders | undefined
): Record<string, { has_api_key: boolean; base_url: string | null }> {
  return Object.fromEntries(
    Object.entries(providers ?? {}).map(([provider, entry]) => [
      provider,
      { has_api_key: Boolean(entry.api_key_sealed), base_url: entry.base_url ?? null },
    ])
  )
}

function sealContext(tenantId: string, provider: string): string {
  return `tenant:${tenantId}:provider:${provider}`
}

/** `purpose` names what cannot be stored without it, for the operator reading the error. */
export function encryptionKey(
  config: Pick<GatewayConfig, 'encryptionKey'>,
  purpose = 'provider keys'
): string {
  if (config.encryptionKey) return config.encryptionKey
  throw new GatewayError(
    500,
    `Gateway misconfigured: ENCRYPTION_KEY is required to store ${purpose}.`,
    {
      type: 'server_error',
      code: 'gateway_misconfigured',
    }
  )
}
