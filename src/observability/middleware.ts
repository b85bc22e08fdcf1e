/**
 * @module
 * Observes every request behind the configuration: sets `c.var.observation` for the pipeline to
 * note what it finds, and once the response (or, for a stream, its last chunk) is out, writes one
 * structured log line and the tenant's metrics increments, from `waitUntil` after a timer, so
 * neither the CPU nor any I/O of it sits before the response.
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { GatewayDeps } from '../deps'
import { hashedUserId } from '../end-users/derived-keys'
import type { AppEnv } from '../env'
import { sha256Hex } from '../lib/crypto'
import { BUDGET_WARNING_HEADER } from '../limits/headers'
import { toGatewayError } from '../middleware/error-handler'
import type { ApiKeyContext, TenantContext } from '../tenancy/types'
import { requestRecord } from '../upstash/keyspace'
import { createAlerts } from './alerts'
import { failureSummary, keepFailure } from './failures'
import { countRequest } from './metrics'
import { payloadFields } from './payload'
import { failed, type Payload, RequestObservation, type RequestRecord } from './record'
import type { ObservabilitySettings } from './settings'
import { exportTrace, parseTraceparent, traceOf } from './trace'

/** The app's variables, plus who is calling once tenant auth (inside /v1) has said so. */
type ObservedEnv = {
  Bindings: AppEnv['Bindings']
  Variables: AppEnv['Variables'] & { tenant?: TenantContext; apiKey?: ApiKeyContext }
}

/** How long a request's record is kept for feedback to find: a month to rate an answer. */
export const REQUEST_RECORD_TTL_SECONDS = 30 * 86_400

export type ObserveOptions = Pick<
  GatewayDeps,
  'redis' | 'writes' | 'clock' | 'report' | 'config' | 'events'
> & {
  /** Where the log line goes: the Workers console, which Workers Logs and Logpush collect. */
  log?: (line: string) => void
  random?: () => number
}

export function observe(options: ObserveOptions): MiddlewareHandler<ObservedEnv> {
  const { redis, writes, clock, report } = options
  const retention = options.config.metricsRetention
  const otlp = options.config.otlp
  // Off, the observation is still kept: the pipeline notes into it and traces are read from it.
  const recording = options.config.observability
  const log = options.log ?? ((line: string) => console.log(line))
  const random = options.random ?? Math.random
  const alerts = createAlerts({ redis, clock, log, events: options.events, report })

  async function emit(
    record: RequestRecord,
    payload: Payload,
    settings: ObservabilitySettings | undefined,
    budgetDetail: string | undefined
  ): Promise<void> {
    const sampleRate = settings?.log_sample_rate ?? 1
    const { tenantId, requestId } = record
    // Metrics are never sampled: their counts must be exact. They count model calls (chat and
    // embeddings, in every dialect), not a tenant's reads of its models, usage or collections.
    const counting =
      tenantId && record.operation
        ? countRequest(writes, tenantId, record, clock(), retention)
        : undefined
    const fields = await logLine(record, clock(), options.config.encryptionKey)
    const line = JSON.stringify({ ...fields, ...payloadFields(payload, settings) })
    if (failed(record) || sampleRate >= 1 || random() < sampleRate) log(line)
    const failing =
      tenantId && failed(record)
        ? keepFailure(redis, writes, tenantId, failureSummary(fields), retention.hourSeconds)
        : undefined
    // Answers (chat, embeddings) are what feedback rates: their records are kept, in the batch.
    const keeping =
      tenantId && record.operation
        ? writes.write('request record', () =>
            redis.set(requestRecord(tenantId, requestId), line, { ex: REQUEST_RECORD_TTL_SECONDS })
          )
        : undefined
    await Promise.all([counting, keeping, failing])
    // Thresholds read complete minutes only, so they need not wait for this request's increments.
    await alerts.observe(record, settings, budgetDetail)
  }

  return async function observe(c, next) {
    const observation = new RequestObservation(c.var.startedAt)
    c.set('observation', observation)
    await next()
    const response = c.res
    observation.whenComplete(() => {
      const record = recordOf(c, observation, response.status)
      if (recording) {
        const settings = c.var.tenant?.config.observability
        const budgetDetail =
          record.errorCode === 'monthly_budget_exceeded' && c.error instanceof Error
            ? c.error.message
            : (response.headers.get(BUDGET_WARNING_HEADER) ?? undefined)
        const written = afterResponse().then(() =>
          emit(record, observation.payload, settings, budgetDetail)
        )
        c.executionCtx.waitUntil(written.catch((error) => report('request record', error)))
      }
      // GenAI operations only: a trace of a health check or an admin call says nothing.
      if (otlp && record.operation && random() < otlp.sampleRate) {
        const parent = parseTraceparent(c.req.header('traceparent'))
        const exported = afterResponse().then(() =>
          exportTrace(otlp, traceOf(record, observation, parent))
        )
        c.executionCtx.waitUntil(exported.catch((error) => report('trace export', error)))
      }
    })
  }
}

function recordOf(
  c: Context<ObservedEnv>,
  observation: RequestObservation,
  status: number
): RequestRecord {
  const record: RequestRecord = {
    requestId: c.var.requestId,
    method: c.req.method,
    path: c.req.path,
    status,
    ...observation.noted,
    totalMs: observation.elapsedMs(),
  }
  if (c.var.tenant) record.tenantId = c.var.tenant.id
  if (c.var.apiKey) record.keyId = c.var.apiKey.id
  if (c.error) {
    const error = toGatewayError(c.error)
    record.errorType = error.type
    if (error.code) record.errorCode = error.code
  } else if (status >= 400) {
    record.errorType = status >= 500 ? 'server_error' : 'invalid_request_error'
  } else if (record.streamOutcome === 'failed') {
    record.errorType = 'upstream_error'
    record.errorCode = 'stream_failed'
  }
  return record
}

/** A macrotask later: the response has been handed to the runtime by then. */
function afterResponse(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}

/**
 * The log line: ids, outcome, timings, tokens and cost, never keys or tokens, and no prompt or
 * answer text unless the tenant logs payloads (added, redacted, by `payloadFields`). The end user's label is a digest scoped to the tenant, so lines can be grouped by user
 * without saying who the user is.
 */
async function logLine(
  record: RequestRecord,
  time: number,
  encryptionKey: string | undefined
): Promise<Record<string, unknown>> {
  const { endUser, ...rest } = record
  const line: Record<string, unknown> = {
    level: failed(record) ? 'warn' : 'info',
    what: 'request',
    time: new Date(time).toISOString(),
  }
  for (const [name, value] of Object.entries(rest)) {
    line[snakeCase(name)] = typeof value === 'number' ? round(value) : value
  }
  if (endUser !== undefined) {
    // Keyed when the deployment has its key: the id the upstream and the usage report see, which
    // a guess at the label (an e-mail address) cannot reproduce. A bare digest otherwise.
    const tenantId = record.tenantId ?? ''
    line.end_user = encryptionKey
      ? await hashedUserId(encryptionKey, tenantId, endUser)
      : (await sha256Hex(`${tenantId}\u0000${endUser}`)).slice(0, 16)
  }
  return line
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

/** Six decimals: float noise removed, a micro-dollar of cost kept. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6
}
