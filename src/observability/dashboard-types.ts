/**
 * @module
 * The JSON the dashboard's API answers (./dashboard-api.ts), as types the page
 * (src/dashboard/page.ts) shares with the Worker. It imports nothing, so the page's program holds
 * this file and not the Worker's.
 */

export type SeriesPeriod = 'minute' | 'hour' | 'day'

export type Totals = {
  requests: number
  errors: number
  cache_hits: number
  cache_semantic_hits: number
  cache_misses: number
  input_tokens: number
  output_tokens: number
  cost_usd: number
}

export type SeriesPoint = Totals & {
  start: string
  /** Hits (exact and semantic) over cache lookups; null when nothing was looked up. */
  cache_hit_rate: number | null
  latency_p50_ms: number | null
  latency_p95_ms: number | null
  ttft_p50_ms: number | null
  ttft_p95_ms: number | null
}

export type ModelRow = Pick<
  Totals,
  'requests' | 'errors' | 'input_tokens' | 'output_tokens' | 'cost_usd'
> & {
  model: string
}

export type Series = {
  object: 'metrics.series'
  tenant: string | null
  period: SeriesPeriod
  from: string
  to: string
  points: SeriesPoint[]
  total: Omit<SeriesPoint, 'start'> & { errors_by_type: Record<string, number> }
  /** The most used `provider/model` targets over the range, most requests first. */
  models: ModelRow[]
}

export type BudgetBurn = {
  tenant_id: string
  name: string
  spent_usd: number
  soft_usd: number | null
  hard_usd: number | null
  /** Spend over the hard cap, else the soft one; null with neither. */
  burn: number | null
}

export type BudgetReport = { object: 'list'; month: string; data: BudgetBurn[] }

/** What a failure's entry keeps of its log line. */
export const SUMMARY_FIELDS = [
  'time',
  'request_id',
  'tenant_id',
  'key_id',
  'method',
  'path',
  'status',
  'operation',
  'target',
  'stream_outcome',
  'attempts',
  'error_type',
  'error_code',
  'total_ms',
] as const

export type FailureSummary = Partial<Record<(typeof SUMMARY_FIELDS)[number], unknown>>
