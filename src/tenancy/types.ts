/**
 * @module
 * The tenancy contract the gateway core relies on: who is calling (tenant and key), what was
 * served (metered usage) and the admission ticket a request carries until it settles.
 */
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
}

export type CacheStatus = 'HIT' | 'SEMANTIC-HIT' | 'MISS' | 'BYPASS' | 'REFRESH'

export type MeteredUsage = {
  /** `provider/upstreamModel` that answered. */
  model: string
  promptTokens: number
  completionTokens: number
  /** Prompt tokens the provider served from its prompt cache (a subset of `promptTokens`). */
  cachedTokens: number
  /** True when the provider reported no usage and the gateway counted tokens itself. */
  estimated: boolean
  cache?: CacheStatus
  savedTokens?: number
  /** A semantic match arrived after the lookup budget and was not used. */
  semanticLate?: boolean
  endpoint: string
}

export type Admission = {
  /** x-ratelimit-* (requests and tokens trios), x-gateway-degraded, budget warning. */
  headers: Record<string, string>
  /**
   * `null`: the request failed and nothing was served, so every reservation is refunded.
   * Otherwise reservations are reconciled with the real usage and the usage is metered.
   * Never throws; call it through `c.executionCtx.waitUntil`.
   */
  settle(usage: MeteredUsage | null): Promise<void>
}
