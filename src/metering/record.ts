/**
 * @module
 * Writes one request's usage: HINCRBY / HINCRBYFLOAT on the tenant's hash for the UTC day, one
 * field per metric, key and model; an end user's requests also in a per-user hash of the same shape. Increments commute, so concurrent requests never lose an
 * update, and the isolate's write batch sends many requests' increments in one pipeline.
 */

import { dailyEndUserUsage, dailyUsage } from '../upstash/keyspace'
import type { CounterIncrement, WriteBatch } from '../upstash/write-batch'
import { utcDay } from './calendar'
import type { MeteredUsage } from './usage'

/** Usage is kept for 400 days: a year of history plus a margin for month-over-month reports. */
const USAGE_TTL_SECONDS = 400 * 24 * 3600

export const COUNT_METRICS = [
  'requests',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cache_hits',
  'cache_misses',
  'saved_tokens',
  'estimated_requests',
  /** Semantic matches that arrived after the lookup budget: the upstream had been asked. */
  'semantic_late_hits',
  'guardrail_findings',
] as const
export const COST_METRIC = 'cost_usd'

export type Metric = (typeof COUNT_METRICS)[number] | typeof COST_METRIC

/** A hash field: the model goes last because model names may contain the separator. */
export function usageField(metric: Metric, keyId: string, model: string): string {
  return `${metric}|${keyId}|${model}`
}

export function parseUsageField(
  field: string
): { metric: string; keyId: string; model: string } | undefined {
  const parts = splitField(field)
  return parts && { metric: parts[0], keyId: parts[1], model: parts[2] }
}

/** `a|b|rest`: the last part may itself contain `|` (model names do). */
export function splitField(field: string): [string, string, string] | undefined {
  const first = field.indexOf('|')
  const second = field.indexOf('|', first + 1)
  if (first < 0 || second < 0) return undefined
  return [field.slice(0, first), field.slice(first + 1, second), field.slice(second + 1)]
}

export function isCacheHit(usage: Pick<MeteredUsage, 'cache'>): boolean {
  return usage.cache === 'HIT' || usage.cache === 'SEMANTIC-HIT'
}

export async function recordUsage(
  writes: WriteBatch,
  tenantId: string,
  keyId: string,
  usage: MeteredUsage,
  costUsd: number,
  time: number,
  /** An end user's hashed id: their request is counted once more, in the per-user hash. */
  endUserId?: string
): Promise<void> {
  const counts: Record<(typeof COUNT_METRICS)[number], number> = {
    requests: 1,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    cached_tokens: usage.cachedTokens,
    cache_hits: isCacheHit(usage) ? 1 : 0,
    // A refresh asked the upstream too: both count as answers the cache did not give.
    cache_misses: usage.cache === 'MISS' || usage.cache === 'REFRESH' ? 1 : 0,
    saved_tokens: usage.savedTokens ?? 0,
    estimated_requests: usage.estimated ? 1 : 0,
    semantic_late_hits: usage.semanticLate ? 1 : 0,
    guardrail_findings: usage.guardrailFindings ?? 0,
  }
  const day = utcDay(time)
  const rows: Array<[string, string]> = [[dailyUsage(tenantId, day), keyId]]
  if (endUserId) rows.push([dailyEndUserUsage(tenantId, day), endUserId])
  const increments: CounterIncrement[] = rows.flatMap(([hash, owner]) => [
    ...COUNT_METRICS.map((metric) => ({
      key: hash,
      field: usageField(metric, owner, usage.model),
      amount: counts[metric],
    })),
    { key: hash, field: usageField(COST_METRIC, owner, usage.model), amount: costUsd, float: true },
  ])
  await writes.count(
    increments,
    Object.fromEntries(rows.map(([hash]) => [hash, USAGE_TTL_SECONDS]))
  )
}
