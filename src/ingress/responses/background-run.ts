/**
 * @module
 * Runs a background response from the JOBS queue through the same code as a foreground one:
 * an internal Hono app, built once per isolate and never mounted on the public fetch path, whose
 * middleware loads the tenant and the key that created the job from Redis (a revoked or expired
 * key, or a deleted tenant, fails the job) and whose one route calls `answerResponse` with
 * streaming on. Routing, limits, budgets, caching, guardrails and metering therefore apply
 * exactly as in the foreground; the events are recorded as they are produced.
 *
 * The consumer is idempotent: a finished job acks without an upstream call, a job another
 * consumer holds the lease of is retried once that lease could have expired, and a job whose
 * consumer died mid-run (status `in_progress`, lease gone) starts over.
 */
import type { Context, Next } from 'hono'
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../../deps'
import type { EndUser } from '../../end-users/types'
import type { AppEnv, TenantEnv } from '../../env'
import { GatewayError, unauthorized } from '../../errors'
import type { JobContext, JobOutcome } from '../../jobs/consumer'
import type { ResponseJob } from '../../jobs/messages'
import { isRecord } from '../../lib/json'
import { readJsonBody } from '../../lib/json-body'
import { parseSSE } from '../../lib/sse'
import { validate } from '../../lib/validate'
import { errorHandler, notFoundHandler } from '../../middleware/error-handler'
import { gatewayConfig } from '../../middleware/gateway-config'
import { requestId } from '../../middleware/request-id'
import { observe } from '../../observability/middleware'
import { resolveKeyId } from '../../tenancy/keys'
import { allowsEndpoint } from '../../tenancy/scopes'
import { announce, failedResponse } from './background'
import {
  backgroundStore,
  isTerminal,
  isTerminalEvent,
  type JobState,
  type Move,
  type StoredEvent,
} from './background-store'
import { answerResponse } from './create'
import type { ResponseObject } from './response-object'
import { ResponsesRequestSchema } from './schema'
import { loadResponse } from './store'

const RESPONSES_PATH = '/v1/responses'
const TENANT_HEADER = 'x-background-tenant'
const KEY_HEADER = 'x-background-key'
const RESPONSE_HEADER = 'x-background-response'
const CREATED_HEADER = 'x-background-created'
const END_USER_HEADER = 'x-background-end-user'

const ACK: JobOutcome = { ack: true }

type Lease = { token: string; ms: number }

/** The Response object a lifecycle event carries. */
function eventResponse(event: StoredEvent): ResponseObject {
  return event.response as ResponseObject
}
/** A refusal the job waits out while it stays queued; anything else fails it. */
const RETRYABLE_STATUSES = new Set([429, 503])
const DEFAULT_RETRY_SECONDS = 1
/** Runs a job may start (the first and the restarts after consumers that died). */
const MAX_RUNS = 3

/** The caller of a job, from the ids it was stored with, checked again now. */
function jobCaller(deps: GatewayDeps) {
  return async function jobCaller(c: Context<TenantEnv>, next: Next): Promise<void> {
    const found = await resolveKeyId(
      deps.redis,
      c.req.header(TENANT_HEADER) ?? '',
      c.req.header(KEY_HEADER) ?? ''
    )
    if (found === 'expired') {
      throw unauthorized('The API key that created this response has expired.', 'expired_api_key')
    }
    if (found === 'invalid') {
      throw unauthorized(
        'The API key that created this response was revoked, or its tenant was deleted.',
        'invalid_api_key'
      )
    }
    const { tenant, apiKey } = found.resolved
    if (!allowsEndpoint(apiKey, RESPONSES_PATH)) {
      throw new GatewayError(403, `This API key may not call ${RESPONSES_PATH}.`, {
        code: 'endpoint_not_allowed',
      })
    }
    c.set('tenant', tenant)
    c.set('apiKey', apiKey)
    const endUser = c.req.header(END_USER_HEADER)
    if (endUser) c.set('endUser', JSON.parse(endUser) as EndUser)
    await next()
  }
}

function runnerApp(deps: GatewayDeps): Hono<AppEnv> {
  const jobs = new Hono<TenantEnv>().use('*', jobCaller(deps)).post(RESPONSES_PATH, async (c) => {
    const request = validate(ResponsesRequestSchema(), await readJsonBody(c))
    return answerResponse(deps, c, request, {
      id: c.req.header(RESPONSE_HEADER) ?? '',
      background: true,
      createdAt: Number(c.req.header(CREATED_HEADER)),
    })
  })
  const app = new Hono<AppEnv>()
  app.use('*', requestId())
  app.use('*', gatewayConfig({ config: deps.config }))
  app.use('*', observe(deps))
  app.route('/', jobs)
  app.onError(errorHandler())
  app.notFound(notFoundHandler())
  return app
}

/** The ResponseJob handler, built once per isolate. */
export function backgroundRunner(
  deps: GatewayDeps
): (job: ResponseJob, context: JobContext) => Promise<JobOutcome> {
  const app = runnerApp(deps)
  const store = backgroundStore(deps.redis)
  const { leaseMs, requeueAfterMs } = deps.config.background

  /** Announces a job that ended (here or elsewhere) and was not announced yet. */
  async function announced(tenantId: string, id: string): Promise<JobOutcome> {
    const state = await store.read(tenantId, id)
    if (state && isTerminal(state.status) && !state.emitted) {
      await announce(deps, tenantId, state.spec, state.response)
    }
    return ACK
  }

  return async function runBackgroundResponse(job, context) {
    const { tenantId, responseId: id } = job
    const state = await store.read(tenantId, id)
    if (!state) {
      // Erased, expired or deleted: nothing is left to run.
      await store.forget(tenantId, id)
      return ACK
    }
    if (isTerminal(state.status)) return announced(tenantId, id)
    if (context.deadLettered) {
      const failed = failedResponse(state.response, {
        code: 'job_failed',
        message: `The background job could not be run (${context.attempts} attempts).`,
      })
      await store.settle(tenantId, id, failed, { type: 'response.failed', response: failed })
      return announced(tenantId, id)
    }
    const token = crypto.randomUUID()
    if (!(await store.claim(tenantId, id, token, leaseMs))) {
      return { retrySeconds: Math.ceil(leaseMs / 1000) }
    }
    try {
      // Read again under the lease: another consumer may have finished it since the first read.
      const held = await store.read(tenantId, id)
      if (!held || isTerminal(held.status)) return await announced(tenantId, id)
      return await execute(tenantId, held, { token, ms: leaseMs }, context)
    } finally {
      await store.release(tenantId, id, token).catch((error: unknown) => {
        deps.report('background lease', error)
      })
    }
  }

  async function execute(
    tenantId: string,
    state: JobState,
    lease: Lease,
    context: JobContext
  ): Promise<JobOutcome> {
    const { response } = state
    const id = response.id
    const advance = (change: Move) => store.advance(tenantId, id, lease, change)
    if (state.status === 'in_progress' && state.run + 1 >= MAX_RUNS) {
      // Every run so far died (a consumer over its time limit, a crash): a job that kills its
      // consumer is not tried for ever.
      const failed = failedResponse(response, {
        code: 'job_failed',
        message: `The background job was interrupted ${MAX_RUNS} times and was given up.`,
      })
      await advance({
        events: [{ type: 'response.failed', response: failed }],
        to: { status: 'failed', response: failed },
      })
      return announced(tenantId, id)
    }
    if (state.status === 'in_progress') {
      // Its consumer died mid-run. If it died after the turn was stored, the answer is known:
      // finish from it rather than asking the upstream again.
      const stored = await loadResponse(deps.redis, tenantId, id)
      const answered = stored?.stored.response
      if (answered && isTerminal(answered.status) && answered.status !== 'cancelled') {
        await advance({
          events: [{ type: `response.${answered.status}`, response: answered }],
          to: { status: answered.status, response: answered },
        })
        return announced(tenantId, id)
      }
      // Otherwise the run starts over from the created events.
      const queued: ResponseObject = { ...response, status: 'queued' }
      if (!(await advance({ restart: true, to: { status: 'queued', response: queued } }))) {
        return ACK
      }
    }
    await store.due(tenantId, id, deps.clock() + lease.ms + requeueAfterMs)
    const abort = new AbortController()
    const { spec } = state
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [TENANT_HEADER]: tenantId,
      [KEY_HEADER]: spec.keyId,
      [RESPONSE_HEADER]: id,
      [CREATED_HEADER]: String(response.created_at),
    }
    if (spec.endUser) headers[END_USER_HEADER] = JSON.stringify(spec.endUser)
    const answer = await app.fetch(
      new Request(`http://background${RESPONSES_PATH}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ...spec.request, stream: true }),
        signal: abort.signal,
      }),
      {},
      {
        waitUntil: (work: Promise<unknown>) => context.waitUntil(work),
        passThroughOnException: () => {},
        props: {},
      }
    )
    if (answer.status !== 200 || !answer.body) return refused(tenantId, state, lease, answer)
    return relay(tenantId, state, lease, answer.body, abort)
  }

  /** The pipeline refused the job: wait out a limit while queued, or fail with its error. */
  async function refused(
    tenantId: string,
    state: JobState,
    lease: Lease,
    answer: Response
  ): Promise<JobOutcome> {
    const id = state.response.id
    const body: unknown = await answer.json().catch(() => undefined)
    const error = isRecord(body) && isRecord(body.error) ? body.error : {}
    if (RETRYABLE_STATUSES.has(answer.status) && error.type !== 'insufficient_quota') {
      const seconds = Number(answer.headers.get('retry-after')) || DEFAULT_RETRY_SECONDS
      await store.due(tenantId, id, deps.clock() + seconds * 1000 + requeueAfterMs)
      return { retrySeconds: Math.ceil(seconds) }
    }
    const failed = failedResponse(state.response, {
      code: typeof error.code === 'string' ? error.code : 'server_error',
      message:
        typeof error.message === 'string'
          ? error.message
          : `The request failed with status ${answer.status}.`,
    })
    await store.advance(tenantId, id, lease, {
      events: [{ type: 'response.failed', response: failed }],
      to: { status: 'failed', response: failed },
    })
    return announced(tenantId, id)
  }

  /**
   * Records the run's events as they come: one write in flight at a time, carrying everything
   * that arrived meanwhile, each renewing the lease and answering whether to go on (a cancel or
   * a lost lease stops the run and aborts the upstream). A timer renews the lease while the
   * upstream is silent.
   */
  async function relay(
    tenantId: string,
    state: JobState,
    lease: Lease,
    body: ReadableStream<Uint8Array>,
    abort: AbortController
  ): Promise<JobOutcome> {
    const id = state.response.id
    let stopped = false
    let buffer: StoredEvent[] = []
    let writing: Promise<void> | undefined
    const write = async (change: Move) => {
      if (!(await store.advance(tenantId, id, lease, change))) {
        stopped = true
        abort.abort(new Error('The background response was cancelled.'))
      }
    }
    const drain = async () => {
      while (buffer.length > 0 && !stopped) {
        const events = buffer
        buffer = []
        const started = events.findLast((event) => event.type === 'response.in_progress')
        await write({
          events,
          ...(started ? { to: { status: 'in_progress', response: eventResponse(started) } } : {}),
        })
      }
      writing = undefined
    }
    const renewal = setInterval(
      () => {
        void write({})
          .then(() => store.due(tenantId, id, deps.clock() + lease.ms + requeueAfterMs))
          .catch((error: unknown) => deps.report('background lease', error))
      },
      Math.max(1, Math.floor(lease.ms / 3))
    )
    let terminal: StoredEvent | undefined
    try {
      for await (const frame of parseSSE(body)) {
        if (stopped) break
        if (frame.event === undefined || frame.data === '') continue
        const { sequence_number: _, ...event }: StoredEvent = JSON.parse(frame.data)
        // The created event was stored with the job; the run's own would repeat it.
        if (event.type === 'response.created') continue
        if (isTerminalEvent(event)) {
          terminal = event
          break
        }
        buffer.push(event)
        writing ??= drain()
      }
    } catch (error) {
      if (!stopped) throw error
    } finally {
      clearInterval(renewal)
    }
    if (stopped) {
      await body.cancel().catch(() => {})
      return ACK
    }
    await writing
    const ended =
      terminal ??
      (() => {
        const failed = failedResponse(state.response, {
          code: 'server_error',
          message: 'The stream ended before it was complete.',
        })
        return { type: 'response.failed', response: failed }
      })()
    const final = eventResponse(ended)
    await write({ events: [...buffer, ended], to: { status: final.status, response: final } })
    return announced(tenantId, id)
  }
}
