import type { CacheStatus } from '../cache/status'

/** What one answered request consumed, as metering records it. */
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
  /** Guardrail checks that flagged, redacted or blocked something in this answer. */
  guardrailFindings?: number
  endpoint: string
}
