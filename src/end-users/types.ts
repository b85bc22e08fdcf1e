/**
 * @module
 * Who an end-user credential (a client token or a tenant JWT) says is calling, once verified.
 */
import type { EndUserLimits } from './settings'

export type EndUser = {
  via: 'client_token' | 'jwt'
  /** The id as the credential names it: never sent upstream or stored. */
  id: string
  /** The id hashed with the tenant's salt: what the upstream, limits and usage see. */
  hashedId: string
  /** Tenant defaults, overridden by the tier, overridden by the client token's own. */
  limits: EndUserLimits
  /** Output tokens per choice a request may reserve at most. */
  maxTokens: number | undefined
  /** `cf-connecting-ip`, for the tenant's per-IP limit. */
  ip: string | undefined
}
