/**
 * @module
 * Turning admin input into a stored tenant config: settings validated, provider secrets sealed,
 * provider URLs through the SSRF guard. A PATCH replaces the top-level settings it names, removes
 * those set to `null`, and merges providers by name.
 */
import type { GatewayConfig } from '../config'
import { checkEndUserUrls } from '../end-users/settings-checks'
import { validate } from '../lib/validate'
import { sealProviders } from './credentials'
import { ProvidersInputSchema, TenantSettingsInputSchema } from './schema'
import type { TenantConfig } from './types'

type ConfigInput = { providers?: Parameters<typeof sealProviders>[3] } & Omit<
  TenantConfig,
  'providers'
>

export async function storedConfig(
  config: GatewayConfig,
  tenantId: string,
  input: ConfigInput
): Promise<TenantConfig> {
  const { providers, ...settings } = input
  checkEndUserUrls(config, settings.end_users)
  if (!providers) return settings
  return { ...settings, providers: await sealProviders(config, tenantId, undefined, providers) }
}

export async function patchedConfig(
  config: GatewayConfig,
  tenantId: string,
  current: TenantConfig,
  patch: Record<string, unknown>
): Promise<TenantConfig> {
  const { providers: providersPatch, ...settingsPatch } = patch
  const { providers: currentProviders, ...currentSettings } = current
  const merged = Object.fromEntries(
    Object.entries({ ...currentSettings, ...settingsPatch }).filter(([, value]) => value !== null)
  )
  const settings = validate(TenantSettingsInputSchema(), merged, 'config')
  checkEndUserUrls(config, settings.end_users)
  if (providersPatch === undefined) return { ...settings, providers: currentProviders }
  if (providersPatch === null) return settings
  const providersInput = validate(ProvidersInputSchema(), providersPatch, 'config.providers')
  return {
    ...settings,
    providers: await sealProviders(config, tenantId, currentProviders, providersInput),
  }
}
