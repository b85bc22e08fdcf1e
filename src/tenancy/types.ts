/**
 * @module
 * The tenancy contract the gateway core relies on: who is calling, tenant and key.
 */
import type { GuardrailPolicyInput } from '../guardrails/settings'
import type { Budget, TenantConfig } from './schema'

export type { TenantConfig } from './schema'

/**
 * Model entries are names or globs ('gpt-4o*', 'mock/*'), matched against the dispatched target
 * `provider/upstreamModel` and the bare upstream model name. Absent means no restriction.
 */
export type KeyScopes = { models?: string[]; endpoints?: string[] }

export type TenantContext = { id: string; name: string; config: TenantConfig }

export type ApiKeyContext = {
  id: string
  tenantId: string
  name: string
  scopes: KeyScopes
  /** The key's own requests-per-minute limit; otherwise the tenant's per-key default applies. */
  requestsPerMinute?: number
  budget?: Budget
  /** Checks the key adds to its tenant's. */
  guardrails?: GuardrailPolicyInput
  /** Epoch ms of the key's expiry: no client token it mints outlives it. */
  expiresAt?: number
  /** An end-user credential's own models (names or globs): it narrows the key's, never widens. */
  endUserModels?: string[]
}
