/**
 * @module
 * Every header a chat or embeddings answer carries beyond the request id, assembled in one place
 * from what the pipeline's stages found: admission's quotas and warnings, the cache's verdict,
 * who served the answer and what the gateway's part of the wait was.
 */

import type { CacheStatus } from '../cache/status'
import { headerValue } from '../lib/header-value'
import { DEGRADED_HEADER } from '../limits/headers'
import type { RequestObservation } from '../observability/record'

export type ServedBy = {
  /** `provider/model` that answered (for a cache hit: the one that first did). */
  target: string
  /** Upstream attempts; 0 for an answer from the cache. */
  attempts: number
  /** Time spent waiting on upstreams (and on their retry-after), not on the gateway. */
  upstreamMs: number
}

export type AnswerFacts = {
  /** performance.now() when the request arrived. */
  startedAt: number
  servedBy: ServedBy
  rateLimits?: Record<string, string>
  degraded?: string[]
  cache?: { status: CacheStatus | undefined; ageSeconds?: number; similarity?: number }
  usageEstimated?: boolean
  /** The `x-gateway-guardrails` verdicts (src/guardrails/verdicts.ts). */
  guardrails?: string
}

/** The gateway's part of the wait so far: what the overhead header and the metrics report. */
export function overheadMs(
  facts: Pick<AnswerFacts, 'startedAt' | 'servedBy'>,
  now: number
): number {
  return Math.max(0, now - facts.startedAt - facts.servedBy.upstreamMs)
}

/**
 * Inside a Worker the clock only moves across I/O, so the overhead figure counts the gateway's
 * own waits (Redis, Vector) rather than its CPU time; the benchmarks measure it from outside.
 */
export function answerHeaders(facts: AnswerFacts): Record<string, string> {
  const { servedBy, cache } = facts
  const overhead = overheadMs(facts, performance.now())
  const headers: Record<string, string> = {
    ...facts.rateLimits,
    // Catalog targets come from operator JSON, direct ones from the request: neither is trusted.
    'x-gateway-target': headerValue(servedBy.target),
    'x-gateway-attempts': String(servedBy.attempts),
    'x-gateway-overhead-ms': overhead.toFixed(1),
    'server-timing': `gateway;dur=${overhead.toFixed(1)}, upstream;dur=${servedBy.upstreamMs.toFixed(1)}`,
  }
  const degraded = [...new Set(facts.degraded ?? [])]
  if (degraded.length > 0) headers[DEGRADED_HEADER] = degraded.join(', ')
  if (cache?.status) headers['x-cache'] = cache.status
  if (cache?.ageSeconds !== undefined) headers.age = String(cache.ageSeconds)
  if (cache?.similarity !== undefined) {
    headers['x-cache-similarity'] = cache.similarity.toFixed(4)
  }
  if (facts.usageEstimated) headers['x-gateway-usage'] = 'estimated'
  if (facts.guardrails) headers['x-gateway-guardrails'] = facts.guardrails
  return headers
}

/** The answer's headers, and the same facts for the request's record (src/observability). */
export function observedHeaders(
  observation: RequestObservation,
  facts: AnswerFacts
): Record<string, string> {
  observation.answered(facts)
  return answerHeaders(facts)
}
