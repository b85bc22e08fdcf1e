/**
 * @module
 * Metrics over time, for the dashboard: the minute or hour hashes of one tenant (or the ones summed
 * over all tenants) in a range, read in one pipelined round trip and folded into points of a
 * minute, an hour or a UTC day (from the hours). Percentiles come from the histogram buckets,
 * interpolated within a bucket as Prometheus' `histogram_quantile` does.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import * as z from 'zod/mini'
import { GatewayError } from '../errors'
import { lazy } from '../lib/lazy'
import { metricsBucket, overallMetricsBucket } from '../upstash/keyspace'
import type { Series, SeriesPeriod, SeriesPoint, Totals } from './dashboard-types'
import { HISTOGRAMS, type Histogram, parseMetricField, period } from './metrics'

const UNIT_MS: Record<SeriesPeriod, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
}
/** Points shown when `from` is not given: the last hour, day or month. */
const DEFAULT_POINTS: Record<SeriesPeriod, number> = { minute: 60, hour: 24, day: 30 }
/** Hashes one query may read: 40 hours of minutes, 100 days of hours. */
const MAX_HASHES = 2400
const TOP_MODELS = 10

export const SeriesQuerySchema = lazy(() =>
  z.strictObject({
    /** A tenant id; absent: every tenant together. */
    tenant: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    period: z._default(z.enum(['minute', 'hour', 'day']), 'hour'),
    /** ISO times; `to` defaults to now, `from` to 60 minutes, 24 hours or 30 days before it. */
    from: z.optional(z.iso.datetime({ offset: true })),
    to: z.optional(z.iso.datetime({ offset: true })),
  })
)

export type SeriesQuery = z.infer<ReturnType<typeof SeriesQuerySchema>>

/** Sums of one point, or of the whole range: counters, and histogram buckets by series. */
class Fold {
  readonly totals: Totals = emptyTotals()
  readonly errorsByType: Record<string, number> = {}
  readonly buckets = new Map<string, number[]>()

  add(series: string, value: number): void {
    const totals = this.totals
    if (series === 'requests') totals.requests += value
    else if (series.startsWith('errors:')) {
      totals.errors += value
      const type = series.slice('errors:'.length)
      this.errorsByType[type] = (this.errorsByType[type] ?? 0) + value
    } else if (series === 'cache:hit') totals.cache_hits += value
    else if (series === 'cache:semantic_hit') totals.cache_semantic_hits += value
    else if (series === 'cache:miss') totals.cache_misses += value
    else if (series === 'cost_usd') totals.cost_usd += value
    else if (series === `${HISTOGRAMS.inputTokens.series}:sum`) totals.input_tokens += value
    else if (series === `${HISTOGRAMS.outputTokens.series}:sum`) totals.output_tokens += value
    else {
      const bucket = /^(\w+):b(\d+)$/.exec(series)
      if (!bucket?.[1] || !bucket[2]) return
      const counts = this.buckets.get(bucket[1]) ?? []
      this.buckets.set(bucket[1], counts)
      const index = Number(bucket[2])
      counts[index] = (counts[index] ?? 0) + value
    }
  }

  summary(): Omit<SeriesPoint, 'start'> {
    const { totals } = this
    const hits = totals.cache_hits + totals.cache_semantic_hits
    const lookups = hits + totals.cache_misses
    const ms = (histogram: Histogram, q: number) => {
      const seconds = histogramQuantile(histogram.buckets, this.buckets.get(histogram.series), q)
      return seconds === null ? null : round(seconds * 1000, 3)
    }
    return {
      ...totals,
      cost_usd: round(totals.cost_usd, 6),
      cache_hit_rate: lookups > 0 ? round(hits / lookups, 4) : null,
      latency_p50_ms: ms(HISTOGRAMS.duration, 0.5),
      latency_p95_ms: ms(HISTOGRAMS.duration, 0.95),
      ttft_p50_ms: ms(HISTOGRAMS.ttft, 0.5),
      ttft_p95_ms: ms(HISTOGRAMS.ttft, 0.95),
    }
  }
}

export async function metricsSeries(
  redis: Pick<Redis, 'pipeline'>,
  query: SeriesQuery,
  now: number
): Promise<Series> {
  const unit = UNIT_MS[query.period]
  const to = query.to ? Date.parse(query.to) : now
  const from = query.from ? Date.parse(query.from) : to - (DEFAULT_POINTS[query.period] - 1) * unit
  if (from > to) throw badQuery('from', 'must not be after to')
  const starts: number[] = []
  for (let start = Math.floor(from / unit) * unit; start <= to; start += unit) starts.push(start)
  // A day is read as its 24 hours: minute and hour hashes are all that is kept.
  const perPoint = query.period === 'day' ? 24 : 1
  if (starts.length * perPoint > MAX_HASHES) {
    throw badQuery('from', `spans more than ${Math.floor(MAX_HASHES / perPoint)} ${query.period}s`)
  }
  const hashKey = (time: number) => {
    const id = period(time, query.period === 'minute' ? 'minute' : 'hour')
    return query.tenant ? metricsBucket(query.tenant, id) : overallMetricsBucket(id)
  }
  const pipeline = redis.pipeline()
  for (const start of starts) {
    for (let hour = 0; hour < perPoint; hour++) pipeline.hgetall(hashKey(start + hour * 3_600_000))
  }
  const hashes =
    starts.length > 0 ? await pipeline.exec<Array<Record<string, unknown> | null>>() : []

  const overall = new Fold()
  const models = new Map<string, Fold>()
  const points = starts.map((start, index) => {
    const fold = new Fold()
    for (const hash of hashes.slice(index * perPoint, (index + 1) * perPoint)) {
      for (const [field, raw] of Object.entries(hash ?? {})) {
        const parsed = parseMetricField(field)
        const value = Number(raw)
        if (!parsed || !Number.isFinite(value)) continue
        fold.add(parsed.series, value)
        overall.add(parsed.series, value)
        const model = parsed.provider ? `${parsed.provider}/${parsed.model}` : parsed.model
        if (!model) continue
        const byModel = models.get(model) ?? new Fold()
        models.set(model, byModel)
        byModel.add(parsed.series, value)
      }
    }
    return { start: new Date(start).toISOString(), ...fold.summary() }
  })
  return {
    object: 'metrics.series',
    tenant: query.tenant ?? null,
    period: query.period,
    from: new Date(starts[0] ?? from).toISOString(),
    to: new Date(to).toISOString(),
    points,
    total: { ...overall.summary(), errors_by_type: overall.errorsByType },
    models: [...models.entries()]
      .map(([model, fold]) => {
        const { requests, errors, input_tokens, output_tokens, cost_usd } = fold.summary()
        return { model, requests, errors, input_tokens, output_tokens, cost_usd }
      })
      .sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model))
      .slice(0, TOP_MODELS),
  }
}

/**
 * The q-quantile of a histogram of per-bucket counts (not cumulative), interpolated linearly
 * within its bucket; in the +Inf bucket, the last boundary. Null with no observation.
 */
export function histogramQuantile(
  bounds: readonly number[],
  counts: readonly (number | undefined)[] | undefined,
  q: number
): number | null {
  const total = (counts ?? []).reduce<number>((sum, count) => sum + (count ?? 0), 0)
  if (!counts || total === 0) return null
  const rank = q * total
  let below = 0
  for (let index = 0; index <= bounds.length; index++) {
    const count = counts[index] ?? 0
    if (count > 0 && below + count >= rank) {
      const upper = bounds[index]
      const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0)
      if (upper === undefined) return lower
      return lower + (upper - lower) * ((rank - below) / count)
    }
    below += count
  }
  return bounds[bounds.length - 1] ?? null
}

function emptyTotals(): Totals {
  return {
    requests: 0,
    errors: 0,
    cache_hits: 0,
    cache_semantic_hits: 0,
    cache_misses: 0,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

function badQuery(param: string, problem: string): GatewayError {
  return new GatewayError(400, `Invalid ${param}: ${problem}.`, { param, code: 'invalid_request' })
}
