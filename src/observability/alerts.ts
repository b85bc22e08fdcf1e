/**
 * @module
 * Alerts, as structured log lines (`"what":"alert"`) that Workers Logs and Logpush can route: a
 * monthly soft budget crossed, a hard budget reached, and, when the tenant sets thresholds, an
 * error rate or p95 latency over the last 5 complete minutes. Each alert is raised once per
 * period (the month for budgets, the 5-minute window otherwise) across isolates, through a
 * `SET NX` in Redis; an isolate remembers what it raised and never asks twice. Each alert is
 * also a webhook event (`budget.soft_limit_reached`, `budget.hard_limit_reached`,
 * `alert.error_rate`, `alert.latency`) to the tenant's subscribed endpoints, sent by the one
 * isolate that won the `SET NX`. Everything here runs after the response.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { randomBase64Url } from '../lib/crypto'
import { utcMonth } from '../metering/calendar'
import { alertRaised, metricsBucket } from '../upstash/keyspace'
import type { EventSink, WebhookEventType } from '../webhooks/events'
import { HISTOGRAMS, parseMetricField, period } from './metrics'
import type { RequestRecord } from './record'
import type { ObservabilitySettings } from './settings'

const WINDOW_MINUTES = 5
const DEFAULT_MIN_REQUESTS = 20
/** The flag outlives its period, so a late isolate cannot raise the alert again. */
const RAISED_TTL_SECONDS = 32 * 86_400
const MAX_REMEMBERED = 10_000

/** The webhook event each alert is sent as. */
const EVENT_TYPES: Record<string, WebhookEventType> = {
  budget_soft: 'budget.soft_limit_reached',
  budget_hard: 'budget.hard_limit_reached',
  error_rate: 'alert.error_rate',
  latency: 'alert.latency',
}

export type AlertsOptions = {
  redis: Pick<Redis, 'set' | 'hgetall'>
  clock: () => number
  log: (line: string) => void
  events: EventSink
  report(what: string, error: unknown): void
}

export type Alerts = {
  /** What one finished request may set off; `detail` is the budget warning or denial text. */
  observe(
    record: RequestRecord,
    settings: ObservabilitySettings | undefined,
    detail: string | undefined
  ): Promise<void>
}

export function createAlerts({ redis, clock, log, events, report }: AlertsOptions): Alerts {
  const raisedHere = new Set<string>()
  const evaluatedMinute = new Map<string, string>()

  async function raise(
    tenantId: string,
    alert: string,
    periodId: string,
    fields: Record<string, unknown>
  ): Promise<void> {
    const id = alertRaised(tenantId, alert, periodId)
    if (raisedHere.has(id)) return
    // Remembered only once Redis has answered: a failed write leaves the alert to the next try.
    const first = await redis.set(id, '1', { nx: true, ex: RAISED_TTL_SECONDS })
    makeRoom(raisedHere)
    raisedHere.add(id)
    if (first !== 'OK') return
    log(
      JSON.stringify({
        level: 'warn',
        what: 'alert',
        alert,
        tenant_id: tenantId,
        period: periodId,
        ...fields,
      })
    )
    const type = EVENT_TYPES[alert]
    if (!type) return
    const data = { id: `alert_${randomBase64Url(12)}`, alert, period: periodId, ...fields }
    // The log line is the alert of record: a webhook that cannot be queued is reported, not retried.
    await events.emit(tenantId, { type, data }).catch((error) => report('alert event', error))
  }

  async function thresholds(
    tenantId: string,
    settings: NonNullable<ObservabilitySettings['alerts']>,
    now: number
  ): Promise<void> {
    const minute = period(now, 'minute')
    if (evaluatedMinute.get(tenantId) === minute) return
    makeRoom(evaluatedMinute)
    evaluatedMinute.set(tenantId, minute)
    // The last complete minutes: the current one is still being written.
    const minutes = Array.from({ length: WINDOW_MINUTES }, (_, i) =>
      period(now - (i + 1) * 60_000, 'minute')
    )
    const hashes = await Promise.all(
      minutes.map((m) => redis.hgetall<Record<string, unknown>>(metricsBucket(tenantId, m)))
    )
    const duration = HISTOGRAMS.duration
    const buckets = new Array<number>(duration.buckets.length + 1).fill(0)
    let requests = 0
    let errors = 0
    for (const hash of hashes) {
      for (const [field, raw] of Object.entries(hash ?? {})) {
        const series = parseMetricField(field)?.series ?? ''
        const value = Number(raw)
        if (series === 'requests') requests += value
        else if (series.startsWith('errors:')) errors += value
        else if (series.startsWith(`${duration.series}:b`)) {
          const index = Number(series.slice(duration.series.length + 2))
          buckets[index] = (buckets[index] ?? 0) + value
        }
      }
    }
    if (requests < (settings.min_requests ?? DEFAULT_MIN_REQUESTS)) return
    const windowId = `${minutes[minutes.length - 1]}-${WINDOW_MINUTES}m`
    const raising: Array<Promise<void>> = []
    const rate = errors / requests
    if (settings.error_rate !== undefined && rate > settings.error_rate) {
      raising.push(
        raise(tenantId, 'error_rate', windowId, {
          window_minutes: WINDOW_MINUTES,
          requests,
          errors,
          error_rate: Math.round(rate * 1e4) / 1e4,
          threshold: settings.error_rate,
        })
      )
    }
    if (settings.latency_p95_ms !== undefined) {
      const p95 = percentileBound(duration.buckets, buckets, 0.95) * 1000
      if (p95 > settings.latency_p95_ms) {
        raising.push(
          raise(tenantId, 'latency', windowId, {
            window_minutes: WINDOW_MINUTES,
            requests,
            // The p95 lies at or below this bucket boundary: the histogram's resolution.
            p95_ms_at_most: Number.isFinite(p95) ? p95 : null,
            threshold_ms: settings.latency_p95_ms,
          })
        )
      }
    }
    await Promise.all(raising)
  }

  return {
    async observe(record, settings, detail) {
      const { tenantId } = record
      if (!tenantId) return
      const now = clock()
      const month = utcMonth(now)
      const scope = detail && /this API key/.test(detail) ? `key:${record.keyId ?? ''}` : 'tenant'
      const raising: Array<Promise<void>> = []
      if (record.errorCode === 'monthly_budget_exceeded') {
        raising.push(raise(tenantId, 'budget_hard', `${month}:${scope}`, { scope, detail }))
      } else if (detail) {
        raising.push(raise(tenantId, 'budget_soft', `${month}:${scope}`, { scope, detail }))
      }
      if (settings?.alerts) raising.push(thresholds(tenantId, settings.alerts, now))
      await Promise.all(raising)
    },
  }
}

/** A bounded memory: an isolate serving very many tenants forgets the oldest first. */
function makeRoom(collection: Set<string> | Map<string, string>): void {
  if (collection.size < MAX_REMEMBERED) return
  const oldest = collection.keys().next().value
  if (oldest !== undefined) collection.delete(oldest)
}

/** The upper bound of the bucket holding the given quantile; +Inf past the last boundary. */
function percentileBound(bounds: readonly number[], counts: number[], quantile: number): number {
  const total = counts.reduce((sum, count) => sum + count, 0)
  let running = 0
  for (const [index, count] of counts.entries()) {
    running += count
    if (running >= quantile * total) return bounds[index] ?? Number.POSITIVE_INFINITY
  }
  return Number.POSITIVE_INFINITY
}
