/**
 * @module
 * Admission: every limit and budget that applies to a request is checked and reserved at once
 * (one round trip), then settled after the response with what was really used. Reservations are
 * what make the limits exact under concurrency: a request holds its estimated tokens and cost
 * while in flight, and gives back the difference (a negative rate) when it settles.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { GatewayError } from '../errors'
import { logFailure } from '../lib/log'
import { utcMonth } from '../metering/calendar'
import { costMicroUsd, priceFor } from '../metering/prices'
import { isCacheHit, recordUsage } from '../metering/record'
import { monthlySpend, rateLimitIdentifier } from '../stores/keyspace'
import { getRedis, redisIdentity } from '../stores/redis'
import type { Admission, MeteredUsage } from '../tenancy/types'
import { adjustSpend, reserveSpend } from './budget'
import { acquireSlot, releaseSlot } from './concurrency'
import {
  BUDGET_WARNING_HEADER,
  DEGRADED_HEADER,
  type Quota,
  quotaHeaders,
  retryAfterSeconds,
} from './headers'
import { fixedWindowLimiter, windowOf } from './limiters'

/** Output tokens reserved when neither the request nor the tenant says how many. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024

export type AdmissionRequest = {
  endpoint: string
  /** `provider/upstreamModel` of the first target. */
  model: string
  /** Estimated prompt tokens. */
  promptTokens: number
  maxOutputTokens: number | undefined
}

/** What a settled request really consumed, as the limits count it. */
type Consumed = { tokens: number; costMicroUsd: number }

type Hold = {
  quota?: Quota
  warning?: string
  settle(consumed: Consumed | null): Promise<void>
  rollback(): Promise<void>
}

type Denial = {
  type: 'rate_limit_exceeded' | 'insufficient_quota'
  code: string
  message: string
  quota?: Quota
  retryAfterMs?: number
}

type Outcome = { hold: Hold } | { denial: Denial }

const nothing = async () => {}

export async function admitRequest(
  c: Context<AppEnv>,
  request: AdmissionRequest
): Promise<Admission> {
  const holds: Hold[] = []
  const failures: unknown[] = []
  let denial: Denial | undefined
  for (const stage of admissionStages(c, request)) {
    const results = await Promise.allSettled(stage.map((check) => check()))
    const denials: Denial[] = []
    for (const result of results) {
      if (result.status === 'rejected') failures.push(result.reason)
      else if ('hold' in result.value) holds.push(result.value.hold)
      else denials.push(result.value.denial)
    }
    denial = denials.find((d) => d.type === 'rate_limit_exceeded') ?? denials[0]
    if (denial || (failures.length > 0 && failMode(c) === 'closed')) break
  }
  const now = Date.now()
  const rollback = () => waitFor(c, Promise.all(holds.map((hold) => hold.rollback())), 'rollback')
  if (failures.length > 0) {
    failures.forEach(logFailure(c, 'admission'))
    if (failMode(c) === 'closed') {
      rollback()
      throw new GatewayError(503, 'Rate limits cannot be checked right now; retry shortly.', {
        code: 'limits_unavailable',
        headers: { 'retry-after': '1' },
      })
    }
  }
  if (denial) {
    rollback()
    throw deny(denial, holds, now)
  }
  const headers = admissionHeaders(holds, now)
  if (failures.length > 0) headers[DEGRADED_HEADER] = 'limits-unavailable'
  return { headers, settle: settler(c, holds) }
}

function failMode(c: Context<AppEnv>): 'open' | 'closed' {
  return c.var.tenant.config.fail_mode ?? 'closed'
}

/**
 * The key's own limit first, then every tenant-wide check at once. A request its key refuses
 * never touches the tenant's counters, so one busy key cannot make the tenant's limits refuse
 * requests from its other keys, even transiently.
 */
function admissionStages(
  c: Context<AppEnv>,
  request: AdmissionRequest
): Array<Array<() => Promise<Outcome>>> {
  const { tenant, apiKey } = c.var
  const limits = tenant.config.limits ?? {}
  const keyChecks: Array<() => Promise<Outcome>> = []
  const keyRpm = apiKey.requestsPerMinute ?? limits.key_requests_per_minute
  if (keyRpm) {
    keyChecks.push(() => requestLimit(c, `key:${apiKey.id}`, keyRpm, 'this API key'))
  }
  const tenantChecks: Array<() => Promise<Outcome>> = []
  const tenantRpm = limits.requests_per_minute
  if (tenantRpm) tenantChecks.push(() => requestLimit(c, 'rpm', tenantRpm, 'this tenant'))
  const reservedTokens =
    request.promptTokens +
    (request.maxOutputTokens ??
      tenant.config.default_max_output_tokens ??
      DEFAULT_MAX_OUTPUT_TOKENS)
  const tenantTpm = limits.tokens_per_minute
  if (tenantTpm) tenantChecks.push(() => tokenLimit(c, tenantTpm, reservedTokens))
  const maxConcurrent = limits.max_concurrent
  if (maxConcurrent) tenantChecks.push(() => concurrencyLimit(c, maxConcurrent))
  const estimatedCost = costMicroUsd(priceFor(tenant, request.model), {
    promptTokens: request.promptTokens,
    completionTokens: reservedTokens - request.promptTokens,
    cachedTokens: 0,
  })
  tenantChecks.push(() => budget(c, Math.ceil(estimatedCost)))
  return [keyChecks, tenantChecks].filter((stage) => stage.length > 0)
}

async function requestLimit(
  c: Context<AppEnv>,
  scope: string,
  limit: number,
  holder: string
): Promise<Outcome> {
  const limiter = fixedWindowLimiter(
    getRedis(c.var.config),
    redisIdentity(c.var.config),
    'requests',
    limit
  )
  const identifier = rateLimitIdentifier(c.var.tenant.id, scope)
  const result = await limiter.limit(identifier)
  waitFor(c, result.pending, 'ratelimit pending')
  if (result.reason === 'timeout') throw new Error('Rate limiter timed out')
  const quota: Quota = { kind: 'requests', limit, remaining: result.remaining, reset: result.reset }
  if (!result.success) {
    return {
      denial: {
        type: 'rate_limit_exceeded',
        code: 'requests_per_minute_exceeded',
        message: `Rate limit reached for ${holder}: ${limit} requests per minute.`,
        quota,
      },
    }
  }
  return {
    hold: {
      quota,
      settle: nothing,
      rollback: async () => {
        await limiter.limit(identifier, { rate: -1 })
      },
    },
  }
}

async function tokenLimit(c: Context<AppEnv>, limit: number, reserved: number): Promise<Outcome> {
  const limiter = fixedWindowLimiter(
    getRedis(c.var.config),
    redisIdentity(c.var.config),
    'tokens',
    limit
  )
  const identifier = rateLimitIdentifier(c.var.tenant.id, 'tpm')
  const window = windowOf(Date.now())
  const result = await limiter.limit(identifier, { rate: reserved })
  waitFor(c, result.pending, 'ratelimit pending')
  if (result.reason === 'timeout') throw new Error('Rate limiter timed out')
  const quota: Quota = { kind: 'tokens', limit, remaining: result.remaining, reset: result.reset }
  // A fixed window counts every INCRBY: a refused reservation is handed straight back.
  const refund = async (tokens: number) => {
    // A reservation from an earlier window expired with it; refunding now would credit the new one.
    if (tokens !== 0 && windowOf(Date.now()) === window) {
      await limiter.limit(identifier, { rate: -tokens })
    }
  }
  if (!result.success) {
    waitFor(c, refund(reserved), 'token refund')
    return {
      denial: {
        type: 'rate_limit_exceeded',
        code: 'tokens_per_minute_exceeded',
        message: `Rate limit reached for this tenant: ${limit} tokens per minute; this request reserves ${reserved}.`,
        quota,
      },
    }
  }
  return {
    hold: {
      quota,
      settle: (consumed) => refund(reserved - (consumed?.tokens ?? 0)),
      rollback: () => refund(reserved),
    },
  }
}

async function concurrencyLimit(c: Context<AppEnv>, cap: number): Promise<Outcome> {
  const redis = getRedis(c.var.config)
  const tenantId = c.var.tenant.id
  const slot = await acquireSlot(redis, tenantId, cap)
  if (!slot) {
    return {
      denial: {
        type: 'rate_limit_exceeded',
        code: 'concurrency_limit_exceeded',
        message: `Too many requests in flight for this tenant (at most ${cap}).`,
        retryAfterMs: 1000,
      },
    }
  }
  const release = () => releaseSlot(redis, tenantId, slot)
  return { hold: { settle: release, rollback: release } }
}

/**
 * Tenant and key monthly budgets. Spend is counted even where no budget is set, so a budget set
 * mid-month starts from the month's real spend.
 */
async function budget(c: Context<AppEnv>, estimate: number): Promise<Outcome> {
  const redis = getRedis(c.var.config)
  const { tenant, apiKey } = c.var
  const month = utcMonth(Date.now())
  const counters = [monthlySpend(tenant.id, month), monthlySpend(tenant.id, month, apiKey.id)]
  const budgets = [tenant.config.budget, apiKey.budget]
  const charge = (amount: number) => adjustSpend(redis, counters, amount)
  if (
    budgets.every((b) => b?.monthly_hard_usd === undefined && b?.monthly_soft_usd === undefined)
  ) {
    return {
      hold: { settle: (consumed) => charge(consumed?.costMicroUsd ?? 0), rollback: nothing },
    }
  }
  const hardCaps = budgets.map((b) => toMicroUsd(b?.monthly_hard_usd))
  const reservation = await reserveSpend(redis, counters, hardCaps, estimate)
  const holders = ['this tenant', 'this API key']
  if (!reservation.granted) {
    const cap = hardCaps[reservation.counterIndex] ?? 0
    return {
      denial: {
        type: 'insufficient_quota',
        code: 'monthly_budget_exceeded',
        message: `The monthly budget of ${holders[reservation.counterIndex]} is exhausted: ${formatUsd(reservation.spent)} of ${formatUsd(cap)} USD spent or reserved.`,
      },
    }
  }
  const warnings = budgets.flatMap((b, index) => {
    const soft = toMicroUsd(b?.monthly_soft_usd)
    const total = reservation.totals[index] ?? 0
    return soft >= 0 && total >= soft
      ? [
          `${holders[index]} passed its monthly soft cap (${formatUsd(total)} of ${formatUsd(soft)} USD)`,
        ]
      : []
  })
  return {
    hold: {
      warning: warnings.length > 0 ? warnings.join('; ') : undefined,
      settle: (consumed) => charge((consumed?.costMicroUsd ?? 0) - estimate),
      rollback: () => charge(-estimate),
    },
  }
}

function toMicroUsd(usd: number | undefined): number {
  return usd === undefined ? -1 : Math.round(usd * 1_000_000)
}

function formatUsd(microUsd: number): string {
  return (microUsd / 1_000_000).toFixed(4)
}

function admissionHeaders(holds: Hold[], now: number): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const kind of ['requests', 'tokens'] as const) {
    const tightest = holds
      .map((hold) => hold.quota)
      .filter((quota): quota is Quota => quota?.kind === kind)
      .sort((a, b) => a.remaining - b.remaining)[0]
    if (tightest) Object.assign(headers, quotaHeaders(tightest, now))
  }
  const warning = holds.find((hold) => hold.warning)?.warning
  if (warning) headers[BUDGET_WARNING_HEADER] = warning
  return headers
}

function deny(denial: Denial, holds: Hold[], now: number): GatewayError {
  const headers = admissionHeaders(holds, now)
  if (denial.quota) Object.assign(headers, quotaHeaders(denial.quota, now))
  const waitMs = denial.retryAfterMs ?? (denial.quota ? denial.quota.reset - now : undefined)
  if (denial.type === 'rate_limit_exceeded' && waitMs !== undefined) {
    headers['retry-after'] = retryAfterSeconds(waitMs)
  }
  return new GatewayError(429, denial.message, { type: denial.type, code: denial.code, headers })
}

function settler(c: Context<AppEnv>, holds: Hold[]): Admission['settle'] {
  const { tenant, apiKey } = c.var
  const redis = getRedis(c.var.config)
  let settled = false
  return async function settle(usage: MeteredUsage | null) {
    if (settled) return
    settled = true
    const tasks: Array<Promise<unknown>> = []
    if (usage) {
      // A cache hit reaches no provider: it is metered, but costs nothing and uses no token quota.
      const billable = !isCacheHit(usage)
      const cost = billable ? costMicroUsd(priceFor(tenant, usage.model), usage) : 0
      const consumed: Consumed = {
        tokens: billable ? usage.promptTokens + usage.completionTokens : 0,
        costMicroUsd: Math.ceil(cost),
      }
      tasks.push(...holds.map((hold) => hold.settle(consumed)))
      tasks.push(recordUsage(redis, tenant.id, apiKey.id, usage, cost / 1_000_000, Date.now()))
    } else {
      tasks.push(...holds.map((hold) => hold.settle(null)))
    }
    for (const result of await Promise.allSettled(tasks)) {
      if (result.status === 'rejected') logFailure(c, 'settle')(result.reason)
    }
  }
}

function waitFor(c: Context<AppEnv>, promise: Promise<unknown>, what: string): void {
  c.executionCtx.waitUntil(promise.catch(logFailure(c, what)))
}
