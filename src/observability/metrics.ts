/**
 * @module
 * Metrics per tenant, aggregated in Redis through the isolate's after-response write batch: each
 * request adds HINCRBY increments to three hashes of its tenant (its UTC minute, its UTC hour and
 * the running total `/metrics` exposes) and to the minute and hour summed over all tenants (the
 * dashboard's overall view). Increments commute and the batch merges those of
 * concurrent requests, so counts are exact and no request waits on them.
 *
 * Fields are `<series>|<provider>|<model>`; the model goes last because model names may contain
 * the separator. Histograms keep one field per bucket (not cumulative: one increment per
 * observation) plus a sum; Prometheus' cumulative buckets and counts are computed when read.
 * Labels are tenant, provider and model only: never keys or end users, whose number is unbounded.
 */
import type { CacheStatus } from '../cache/status'
import { splitField } from '../metering/record'
import { metricsBucket, metricsTotal, overallMetricsBucket } from '../upstash/keyspace'
import type { CounterIncrement, WriteBatch } from '../upstash/write-batch'
import { failed, type RequestRecord } from './record'

/** OpenTelemetry GenAI `gen_ai.client.operation.duration` boundaries, in seconds. */
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]
/** OpenTelemetry GenAI `gen_ai.server.time_to_first_token` boundaries, in seconds. */
const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]
/** OpenTelemetry GenAI `gen_ai.client.token.usage` boundaries: powers of 4 from 1 to 4^13. */
const TOKEN_BUCKETS = Array.from({ length: 14 }, (_, power) => 4 ** power)

export type Histogram = { series: string; buckets: readonly number[] }

export const HISTOGRAMS = {
  duration: { series: 'duration', buckets: DURATION_BUCKETS },
  ttft: { series: 'ttft', buckets: TTFT_BUCKETS },
  // The gateway's own wait is milliseconds: the time-to-first-token boundaries resolve it.
  overhead: { series: 'overhead', buckets: TTFT_BUCKETS },
  inputTokens: { series: 'tokens_input', buckets: TOKEN_BUCKETS },
  outputTokens: { series: 'tokens_output', buckets: TOKEN_BUCKETS },
} satisfies Record<string, Histogram>

/** Cache outcomes as counted: a refresh asked the upstream, so it is a miss; a bypass is neither. */
const CACHE_RESULTS: Record<CacheStatus, string | undefined> = {
  HIT: 'hit',
  'SEMANTIC-HIT': 'semantic_hit',
  MISS: 'miss',
  REFRESH: 'miss',
  BYPASS: undefined,
}

/** Every cache result a series may carry, in exposition order. */
export const CACHE_LABELS = ['hit', 'semantic_hit', 'miss'] as const

type FieldIncrement = { field: string; amount: number; float?: boolean }

export type Retention = { minuteSeconds: number; hourSeconds: number }

export function metricField(series: string, provider: string, model: string): string {
  return `${series}|${provider}|${model}`
}

export function parseMetricField(
  field: string
): { series: string; provider: string; model: string } | undefined {
  const parts = splitField(field)
  return parts && { series: parts[0], provider: parts[1], model: parts[2] }
}

/** Index of the first boundary the value does not exceed; past the last: the +Inf bucket. */
export function bucketIndex(buckets: readonly number[], value: number): number {
  const index = buckets.findIndex((bound) => value <= bound)
  return index < 0 ? buckets.length : index
}

/** `provider/model` split at the first slash; a request that never resolved one has neither. */
export function labelsOf(target: string | undefined): { provider: string; model: string } {
  if (!target) return { provider: '', model: '' }
  const slash = target.indexOf('/')
  if (slash < 0) return { provider: '', model: target }
  return { provider: target.slice(0, slash), model: target.slice(slash + 1) }
}

/** The increments one request adds (to each of its hashes). */
export function metricIncrements(record: RequestRecord): FieldIncrement[] {
  const { provider, model } = labelsOf(record.target)
  const out: FieldIncrement[] = []
  const add = (series: string, amount: number, float = false) => {
    out.push({ field: metricField(series, provider, model), amount, ...(float && { float }) })
  }
  const observe = (histogram: Histogram, value: number, float: boolean) => {
    add(`${histogram.series}:b${bucketIndex(histogram.buckets, value)}`, 1)
    add(`${histogram.series}:sum`, value, float)
  }
  add('requests', 1)
  if (failed(record)) add(`errors:${record.errorType ?? 'server_error'}`, 1)
  const cacheResult = record.cache && CACHE_RESULTS[record.cache]
  if (cacheResult) add(`cache:${cacheResult}`, 1)
  if (record.costUsd) add('cost_usd', record.costUsd, true)
  observe(HISTOGRAMS.duration, record.totalMs / 1000, true)
  if (record.ttftMs !== undefined && record.status < 400) {
    observe(HISTOGRAMS.ttft, record.ttftMs / 1000, true)
  }
  if (record.overheadMs !== undefined) observe(HISTOGRAMS.overhead, record.overheadMs / 1000, true)
  // Billable tokens only, as the convention asks: a cache hit consumed none.
  const billable = record.cache !== 'HIT' && record.cache !== 'SEMANTIC-HIT'
  if (billable && record.inputTokens !== undefined) {
    observe(HISTOGRAMS.inputTokens, record.inputTokens, false)
  }
  if (billable && record.outputTokens !== undefined && record.operation === 'chat') {
    observe(HISTOGRAMS.outputTokens, record.outputTokens, false)
  }
  return out
}

/** `YYYYMMDDHHmm` (UTC) for minutes, `YYYYMMDDHH` for hours. */
export function period(time: number, unit: 'minute' | 'hour'): string {
  const iso = new Date(time).toISOString()
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}`
  return unit === 'minute' ? `m${digits}${iso.slice(14, 16)}` : `h${digits}`
}

export function countRequest(
  writes: WriteBatch,
  tenantId: string,
  record: RequestRecord,
  time: number,
  retention: Retention
): Promise<void> {
  const minuteId = period(time, 'minute')
  const hourId = period(time, 'hour')
  const minute = metricsBucket(tenantId, minuteId)
  const hour = metricsBucket(tenantId, hourId)
  const overallMinute = overallMetricsBucket(minuteId)
  const overallHour = overallMetricsBucket(hourId)
  const increments = metricIncrements(record)
  const keyed: CounterIncrement[] = []
  for (const key of [minute, hour, metricsTotal(tenantId), overallMinute, overallHour]) {
    for (const increment of increments) keyed.push({ ...increment, key })
  }
  return writes.count(keyed, {
    [minute]: retention.minuteSeconds,
    [hour]: retention.hourSeconds,
    [overallMinute]: retention.minuteSeconds,
    [overallHour]: retention.hourSeconds,
  })
}
