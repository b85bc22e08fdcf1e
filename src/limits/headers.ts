/**
 * @module
 * Rate-limit headers as OpenAI sends them, so OpenAI clients' retry logic works unchanged:
 * `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as Go-style durations ("1s",
 * "6m0s", "250ms"), and `retry-after` in whole seconds on a 429.
 */
import type { LimitKind } from './limiters'

export type Quota = { kind: LimitKind; limit: number; remaining: number; reset: number }

export const DEGRADED_HEADER = 'x-gateway-degraded'
export const BUDGET_WARNING_HEADER = 'x-gateway-budget-warning'

export function quotaHeaders(quota: Quota, now: number): Record<string, string> {
  return {
    [`x-ratelimit-limit-${quota.kind}`]: String(quota.limit),
    [`x-ratelimit-remaining-${quota.kind}`]: String(Math.max(0, quota.remaining)),
    [`x-ratelimit-reset-${quota.kind}`]: formatDuration(Math.max(0, quota.reset - now)),
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3))
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`
}

export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)))
}
