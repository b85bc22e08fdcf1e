/**
 * @module
 * Usage reports over a range of UTC days, grouped by day, model, key or end user: one HGETALL per day in a
 * single pipeline, summed here.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import * as z from 'zod/mini'
import { GatewayError } from '../errors'
import { lazy } from '../lib/lazy'
import { dailyEndUserUsage, dailyUsage } from '../upstash/keyspace'
import { utcDay } from './calendar'
import { COST_METRIC, COUNT_METRICS, parseUsageField } from './record'

const MAX_DAYS = 366
const DAY_MS = 86_400_000
const isoDay = lazy(() =>
  z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'))
)

export const UsageQuerySchema = lazy(() =>
  z.object({
    from: z.optional(isoDay()),
    to: z.optional(isoDay()),
    group_by: z._default(z.enum(['day', 'model', 'key', 'user']), 'day'),
  })
)

export type UsageQuery = z.infer<ReturnType<typeof UsageQuerySchema>>
type GroupBy = UsageQuery['group_by']

type Totals = Record<(typeof COUNT_METRICS)[number] | typeof COST_METRIC, number>
export type UsageRow = Record<string, string | number>

export type UsageReport = {
  object: 'usage'
  tenant_id: string
  from: string
  to: string
  group_by: GroupBy
  data: UsageRow[]
  total: Totals
}

const GROUP_FIELD: Record<GroupBy, string> = {
  day: 'day',
  model: 'model',
  key: 'key_id',
  user: 'user',
}

export async function usageReport(
  redis: Redis,
  tenantId: string,
  query: UsageQuery
): Promise<UsageReport> {
  const now = Date.now()
  const to = query.to ?? utcDay(now)
  const from = query.from ?? `${to.slice(0, 7)}-01`
  const days = daysBetween(from, to)
  const pipeline = redis.pipeline()
  // By user: the end users' own hash, so the report covers end-user traffic only.
  const hashOf = query.group_by === 'user' ? dailyEndUserUsage : dailyUsage
  for (const day of days) pipeline.hgetall(hashOf(tenantId, day))
  const hashes = days.length > 0 ? await pipeline.exec<Array<Record<string, unknown> | null>>() : []

  const groups = new Map<string, Totals>()
  const total = emptyTotals()
  days.forEach((day, index) => {
    for (const [field, value] of Object.entries(hashes[index] ?? {})) {
      const parsed = parseUsageField(field)
      if (!parsed || !isMetric(parsed.metric)) continue
      // The middle field is the key id, or in the end users' hash the hashed user id.
      const group = { day, model: parsed.model, key: parsed.keyId, user: parsed.keyId }[
        query.group_by
      ]
      const totals = groups.get(group) ?? emptyTotals()
      groups.set(group, totals)
      totals[parsed.metric] += Number(value)
      total[parsed.metric] += Number(value)
    }
  })
  const data = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, totals]) => ({ [GROUP_FIELD[query.group_by]]: group, ...rounded(totals) }))
  return {
    object: 'usage',
    tenant_id: tenantId,
    from,
    to,
    group_by: query.group_by,
    data,
    total: rounded(total),
  }
}

function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`)
  const end = Date.parse(`${to}T00:00:00Z`)
  if (Number.isNaN(start)) throw badRange('from', 'is not a valid date')
  if (Number.isNaN(end)) throw badRange('to', 'is not a valid date')
  if (end < start) throw badRange('to', 'must not be before from')
  if ((end - start) / DAY_MS >= MAX_DAYS)
    throw badRange('from', `must be within ${MAX_DAYS} days of to`)
  const days: string[] = []
  for (let time = start; time <= end; time += DAY_MS) days.push(utcDay(time))
  return days
}

function badRange(param: string, problem: string): GatewayError {
  return new GatewayError(400, `Invalid ${param}: ${problem}.`, { param, code: 'invalid_request' })
}

function emptyTotals(): Totals {
  return {
    requests: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    cached_tokens: 0,
    cache_hits: 0,
    cache_misses: 0,
    saved_tokens: 0,
    estimated_requests: 0,
    semantic_late_hits: 0,
    guardrail_findings: 0,
    cost_usd: 0,
  }
}

function isMetric(metric: string): metric is keyof Totals {
  return metric === COST_METRIC || (COUNT_METRICS as readonly string[]).includes(metric)
}

/** Float increments accumulate binary noise; cost is reported to the micro-dollar. */
function rounded(totals: Totals): Totals {
  return { ...totals, [COST_METRIC]: Math.round(totals[COST_METRIC] * 1e6) / 1e6 }
}
