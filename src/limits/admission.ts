/**
 * @module
 * Admission: every limit and budget that applies to a request is checked and reserved at once.
 * All checks issue their commands in the same tick, so `@upstash/redis` auto-pipelining sends
 * them (and whatever else the caller issues in that tick, such as the exact-cache read) as one
 * HTTP request: one round trip before the upstream. Reservations are what make the limits exact
 * under concurrency: a request holds its worst-case tokens and cost while in flight and gives
 * back the difference when it settles.
 *
 * Because the key's own limit is checked alongside the tenant's, a request its key refuses may
 * briefly hold tenant quota; that hold is handed back the moment the refusal is known, so it
 * lasts about one Redis round trip.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { EndUser } from '../end-users/types'
import { GatewayError } from '../errors'
import { utcDay, utcMonth } from '../metering/calendar'
import { costMicroUsd, priceFor } from '../metering/prices'
import type { ApiKeyContext, TenantContext } from '../tenancy/types'
import { endUserSpend, monthlySpend, rateLimitIdentifier } from '../upstash/keyspace'
import type { WriteBatch } from '../upstash/write-batch'
import { adjustSpend, reserveSpend } from './budget'
import { acquireSlot, releaseSlot } from './concurrency'
import { BUDGET_WARNING_HEADER, type Quota, quotaHeaders, retryAfterSeconds } from './headers'
import { createLimiters, windowOf } from './limiters'

/** Output tokens reserved when neither the request nor the tenant says how many. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024

export type AdmissionRequest = {
  tenant: TenantContext
  apiKey: ApiKeyContext
  /** `provider/upstreamModel` of the first target: what the cost estimate is priced at. */
  model: string
  /** Estimated prompt tokens. */
  promptTokens: number
  maxOutputTokens: number | undefined
  /** Choices asked for (`n`): each may generate up to the output cap. */
  choices: number
  /** Set for a browser or mobile end user: their own limits and budgets apply too. */
  endUser?: EndUser
}

/** What a settled request really consumed, as the limits count it. */
export type Consumed = { tokens: number; costMicroUsd: number }

export type Admitted = {
  /** x-ratelimit-* (requests and tokens trios) and the budget warning. */
  headers: Record<string, string>
  /** Guarantees this request is served without (`x-gateway-degraded`). */
  degraded: string[]
  /**
   * Reconciles reservations with what was used (`null`: nothing was served, all go back), with
   * the isolate's next batch of writes. Call it once; later calls do nothing.
   */
  settle(consumed: Consumed | null): Promise<void>
}

export type WaitUntil = (work: Promise<unknown>) => void

export type Limits = {
  /** Checks and reserves; a refusal throws the 429 (or the 503 of a closed tenant). */
  admit(request: AdmissionRequest, waitUntil: WaitUntil): Promise<Admitted>
  /**
   * For an answer the isolate already holds: no round trip waits. Request limits are counted in
   * the background and enforced from what this isolate has seen refused; nothing is reserved,
   * since serving a held answer costs no tokens and no money.
   */
  admitHeld(request: AdmissionRequest, waitUntil: WaitUntil): Admitted
}

export type LimitsOptions = {
  redis: Redis
  writes: WriteBatch
  clock: () => number
  report(what: string, error: unknown): void
}

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
  /** Gives back this check's own increment, when another check is the one that refuses. */
  undo?: () => Promise<void>
  /** The request-limit identifier that refused, remembered for answers the isolate holds. */
  identifier?: string
}

type Outcome = { hold: Hold } | { denial: Denial }

type RequestScope = { identifier: string; limit: number; holder: string }

/** One spend counter a request reserves on; caps in USD, absent for none. */
type BudgetLine = {
  counter: string
  hard: number | undefined
  soft: number | undefined
  /** How a refusal or warning names it. */
  holder: string
  period: 'daily' | 'monthly'
}

const nothing = async () => {}

export function createLimits({ redis, writes, clock, report }: LimitsOptions): Limits {
  const limiter = createLimiters(redis)
  /** Request-limit identifiers this isolate saw refused, until their window ends. */
  const refusedUntil = new Map<string, number>()

  function requestScopes({ tenant, apiKey, endUser }: AdmissionRequest): RequestScope[] {
    const limits = tenant.config.limits ?? {}
    const scopes: RequestScope[] = []
    const userRpm = endUser?.limits.requests_per_minute
    if (endUser && userRpm) {
      scopes.push({
        identifier: rateLimitIdentifier(tenant.id, `user:${endUser.hashedId}`),
        limit: userRpm,
        holder: 'this end user',
      })
    }
    const ipRpm = tenant.config.end_users?.ip_requests_per_minute
    if (endUser?.ip && ipRpm) {
      scopes.push({
        identifier: rateLimitIdentifier(tenant.id, `ip:${endUser.ip}`),
        limit: ipRpm,
        holder: 'this IP address',
      })
    }
    const keyRpm = apiKey.requestsPerMinute ?? limits.key_requests_per_minute
    if (keyRpm) {
      scopes.push({
        identifier: rateLimitIdentifier(tenant.id, `key:${apiKey.id}`),
        limit: keyRpm,
        holder: 'this API key',
      })
    }
    if (limits.requests_per_minute) {
      scopes.push({
        identifier: rateLimitIdentifier(tenant.id, 'rpm'),
        limit: limits.requests_per_minute,
        holder: 'this tenant',
      })
    }
    return scopes
  }

  async function requestLimit(scope: RequestScope, waitUntil: WaitUntil): Promise<Outcome> {
    const instance = limiter('requests', scope.limit)
    const result = await instance.limit(scope.identifier)
    waitUntil(result.pending)
    if (result.reason === 'timeout') throw new Error('Rate limiter timed out')
    const quota: Quota = {
      kind: 'requests',
      limit: scope.limit,
      remaining: result.remaining,
      reset: result.reset,
    }
    const giveBack = async () => {
      await instance.limit(scope.identifier, { rate: -1 })
    }
    if (!result.success) {
      // A refusal from the limiter's isolate cache counted nothing, so there is nothing to undo.
      const counted = result.reason !== 'cacheBlock'
      return { denial: { ...requestDenial(scope, quota), undo: counted ? giveBack : undefined } }
    }
    return { hold: { quota, settle: nothing, rollback: giveBack } }
  }

  async function tokenLimit(
    scope: RequestScope,
    reserved: number,
    unbounded: boolean,
    waitUntil: WaitUntil
  ): Promise<Outcome> {
    const { identifier, limit } = scope
    const instance = limiter('tokens', limit)
    const window = windowOf(clock())
    const result = await instance.limit(identifier, { rate: reserved })
    if (result.reason === 'timeout') throw new Error('Rate limiter timed out')
    const quota: Quota = { kind: 'tokens', limit, remaining: result.remaining, reset: result.reset }
    const refund = async (tokens: number) => {
      // A reservation from an earlier window expired with it; refunding now would credit the new one.
      if (tokens !== 0 && windowOf(clock()) === window) {
        await instance.limit(identifier, { rate: -tokens })
      }
    }
    if (!result.success) {
      // A fixed window counts every INCRBY: a refused reservation is handed straight back.
      waitUntil(refund(reserved).catch((error) => report('token refund', error)))
      return {
        denial: {
          type: 'rate_limit_exceeded',
          code: 'tokens_per_minute_exceeded',
          message: `Rate limit reached for ${scope.holder}: ${limit} tokens per minute; this request reserves ${reserved}.${unbounded ? unboundedHint(reserved) : ''}`,
          quota,
        },
      }
    }
    return {
      hold: {
        quota,
        settle: (consumed) =>
          queued('token refund', () => refund(reserved - (consumed?.tokens ?? 0))),
        rollback: () => refund(reserved),
      },
    }
  }

  async function concurrencyLimit(tenantId: string, cap: number): Promise<Outcome> {
    const slot = await acquireSlot(redis, tenantId, cap, clock())
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
    return { hold: { settle: () => queued('slot release', release), rollback: release } }
  }

  /**
   * Tenant and key monthly budgets, and an end user's daily and monthly ones. Spend is counted
   * even where no budget is set, so a budget set mid-month starts from the month's real spend.
   */
  async function budget(
    request: AdmissionRequest,
    estimate: number,
    unbounded: boolean,
    reservedTokens: number
  ): Promise<Outcome> {
    const { tenant, apiKey, endUser } = request
    const now = clock()
    const month = utcMonth(now)
    const lines: BudgetLine[] = [
      {
        counter: monthlySpend(tenant.id, month),
        hard: tenant.config.budget?.monthly_hard_usd,
        soft: tenant.config.budget?.monthly_soft_usd,
        holder: 'this tenant',
        period: 'monthly',
      },
      {
        counter: monthlySpend(tenant.id, month, apiKey.id),
        hard: apiKey.budget?.monthly_hard_usd,
        soft: apiKey.budget?.monthly_soft_usd,
        holder: 'this API key',
        period: 'monthly',
      },
    ]
    if (endUser) {
      lines.push(
        {
          counter: endUserSpend(tenant.id, utcDay(now), endUser.hashedId),
          hard: endUser.limits.daily_usd,
          soft: undefined,
          holder: 'this end user',
          period: 'daily',
        },
        {
          counter: endUserSpend(tenant.id, month, endUser.hashedId),
          hard: endUser.limits.monthly_usd,
          soft: undefined,
          holder: 'this end user',
          period: 'monthly',
        }
      )
    }
    const counters = lines.map((line) => line.counter)
    const charge = (amount: number) => adjustSpend(writes, counters, amount)
    if (lines.every((line) => line.hard === undefined && line.soft === undefined)) {
      return {
        hold: { settle: (consumed) => charge(consumed?.costMicroUsd ?? 0), rollback: nothing },
      }
    }
    const hardCaps = lines.map((line) => toMicroUsd(line.hard))
    const reservation = await reserveSpend(redis, counters, hardCaps, estimate)
    if (!reservation.granted) {
      const cap = hardCaps[reservation.counterIndex] ?? 0
      const line = lines[reservation.counterIndex]
      return {
        denial: {
          type: 'insufficient_quota',
          code: `${line?.period ?? 'monthly'}_budget_exceeded`,
          message: `The ${line?.period ?? 'monthly'} budget of ${line?.holder ?? 'this tenant'} is exhausted: ${formatUsd(reservation.spent)} of ${formatUsd(cap)} USD spent or reserved, and this request reserves up to ${formatUsd(estimate)}.${unbounded ? unboundedHint(reservedTokens) : ''}`,
        },
      }
    }
    const warnings = lines.flatMap((line, index) => {
      const soft = toMicroUsd(line.soft)
      const total = reservation.totals[index] ?? 0
      return soft >= 0 && total >= soft
        ? [
            `${line.holder} passed its ${line.period} soft cap (${formatUsd(total)} of ${formatUsd(soft)} USD)`,
          ]
        : []
    })
    return {
      hold: {
        warning: warnings.length > 0 ? warnings.join('; ') : undefined,
        settle: (consumed) => charge((consumed?.costMicroUsd ?? 0) - estimate),
        rollback: () => adjustSpendNow(redis, counters, -estimate),
      },
    }
  }

  /** Non-increment writes join the isolate's next batch, as the increments do. */
  function queued(what: string, write: () => Promise<unknown>): Promise<void> {
    return writes.write(what, write)
  }

  function checksFor(
    request: AdmissionRequest,
    waitUntil: WaitUntil
  ): Array<() => Promise<Outcome>> {
    const { tenant } = request
    const limits = tenant.config.limits ?? {}
    const unbounded = request.maxOutputTokens === undefined
    const perChoice =
      request.maxOutputTokens ??
      tenant.config.default_max_output_tokens ??
      DEFAULT_MAX_OUTPUT_TOKENS
    // Every choice may run to the cap: `n` multiplies the worst case, and the worst case is held.
    const outputTokens = perChoice * Math.max(1, request.choices)
    const reservedTokens = request.promptTokens + outputTokens
    const estimatedCost = costMicroUsd(priceFor(tenant, request.model), {
      promptTokens: request.promptTokens,
      completionTokens: outputTokens,
      cachedTokens: 0,
    })
    const checks: Array<() => Promise<Outcome>> = requestScopes(request).map(
      (scope) => () => requestLimit(scope, waitUntil)
    )
    const tpm = limits.tokens_per_minute
    const tokenScopes: RequestScope[] = tpm
      ? [{ identifier: rateLimitIdentifier(tenant.id, 'tpm'), limit: tpm, holder: 'this tenant' }]
      : []
    const userTpm = request.endUser?.limits.tokens_per_minute
    if (request.endUser && userTpm) {
      tokenScopes.push({
        identifier: rateLimitIdentifier(tenant.id, `user-tpm:${request.endUser.hashedId}`),
        limit: userTpm,
        holder: 'this end user',
      })
    }
    for (const scope of tokenScopes) {
      checks.push(() => tokenLimit(scope, reservedTokens, unbounded, waitUntil))
    }
    const maxConcurrent = limits.max_concurrent
    if (maxConcurrent) checks.push(() => concurrencyLimit(tenant.id, maxConcurrent))
    checks.push(() => budget(request, Math.ceil(estimatedCost), unbounded, reservedTokens))
    return checks
  }

  return {
    async admit(request, waitUntil) {
      // Started together: their commands share one pipelined round trip.
      const results = await Promise.allSettled(checksFor(request, waitUntil).map((run) => run()))
      const holds: Hold[] = []
      const denials: Denial[] = []
      const failures: unknown[] = []
      for (const result of results) {
        if (result.status === 'rejected') failures.push(result.reason)
        else if ('hold' in result.value) holds.push(result.value.hold)
        else denials.push(result.value.denial)
      }
      const now = clock()
      const closed = (request.tenant.config.fail_mode ?? 'closed') === 'closed'
      for (const failure of failures) report('admission', failure)
      const denial = denials.find((d) => d.type === 'rate_limit_exceeded') ?? denials[0]
      if (denial || (failures.length > 0 && closed)) {
        // A refused request takes nothing but the refusing limit's count, and gives the rest
        // back before the refusal is answered: tenant quota taken alongside a key's refusal is
        // held for one more round trip, and a caller that got its 429 finds it returned.
        const undo = [
          ...holds.map((hold) => hold.rollback),
          ...denials.flatMap((d) => (d !== denial && d.undo ? [d.undo] : [])),
        ]
        const rolled = await Promise.allSettled(undo.map((giveBack) => giveBack()))
        for (const r of rolled) if (r.status === 'rejected') report('rollback', r.reason)
      }
      if (denial) {
        if (denial.identifier && denial.quota)
          refusedUntil.set(denial.identifier, denial.quota.reset)
        throw deny(denial, holds, now)
      }
      if (failures.length > 0 && closed) {
        throw new GatewayError(503, 'Rate limits cannot be checked right now; retry shortly.', {
          code: 'limits_unavailable',
          headers: { 'retry-after': '1' },
        })
      }
      const degraded = failures.length > 0 ? ['limits-unavailable'] : []
      if (writes.backlog() > 0) degraded.push('metering')
      return { headers: admissionHeaders(holds, now), degraded, settle: settler(holds) }
    },

    admitHeld(request, waitUntil) {
      const now = clock()
      for (const scope of requestScopes(request)) {
        const until = refusedUntil.get(scope.identifier) ?? 0
        if (until > now) {
          throw deny(
            requestDenial(scope, {
              kind: 'requests',
              limit: scope.limit,
              remaining: 0,
              reset: until,
            }),
            [],
            now
          )
        }
        refusedUntil.delete(scope.identifier)
        // Counted with the isolate's next batch of writes: no request of its own.
        const counted = writes.write('request count', async () => {
          const outcome = await requestLimit(scope, waitUntil)
          if ('denial' in outcome) {
            refusedUntil.set(scope.identifier, outcome.denial.quota?.reset ?? 0)
          }
        })
        waitUntil(counted)
      }
      const degraded = writes.backlog() > 0 ? ['metering'] : []
      return { headers: {}, degraded, settle: settler([]) }
    },
  }
}

function requestDenial(scope: RequestScope, quota: Quota): Denial {
  return {
    identifier: scope.identifier,
    type: 'rate_limit_exceeded',
    code: 'requests_per_minute_exceeded',
    message: `Rate limit reached for ${scope.holder}: ${scope.limit} requests per minute.`,
    quota,
  }
}

function unboundedHint(reservedTokens: number): string {
  return ` The request sets no max_tokens, so ${reservedTokens} tokens were reserved for it; set max_tokens (or max_completion_tokens) to reserve less.`
}

/** A rollback is not batched: the reservation goes back within the same round trip's time. */
async function adjustSpendNow(redis: Redis, counters: string[], amount: number): Promise<void> {
  await Promise.all(counters.map((key) => redis.incrby(key, amount)))
}

function settler(holds: Hold[]): Admitted['settle'] {
  let settled = false
  return async function settle(consumed) {
    if (settled) return
    settled = true
    await Promise.allSettled(holds.map((hold) => hold.settle(consumed)))
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
