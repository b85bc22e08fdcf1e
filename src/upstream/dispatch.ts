/**
 * @module
 * Tries targets in order: retries with exponential backoff and jitter (honouring `retry-after` up
 * to a cap), then falls back to the next target on 408/409/429/5xx, network errors and timeouts.
 * A separate first-byte timeout catches upstreams that accept and then say nothing. Dispatch ends
 * when `run` resolves: for a stream that is the first chunk, so nothing after it is retried.
 */
import { GatewayError } from '../errors'
import { recordFailure, recordSuccess } from '../routing/circuit-breaker'
import { targetKey } from '../routing/order-targets'
import type { PreparedTarget } from '../routing/prepared-target'
import { UpstreamFailure } from './failure'

export type { PreparedTarget }

export type Dispatched<T> = {
  value: T
  target: PreparedTarget
  attempts: number
  /** Time spent waiting on upstreams (and on their retry-after), not on the gateway. */
  upstreamMs: number
  /** Aborts when the target's total timeout passes or the client goes away. */
  signal: AbortSignal
  /** Stops the total-timeout clock once the answer has been fully delivered. */
  finish(): void
  /** Cancels the upstream request (the client went away, or the stream failed). */
  abort(reason: unknown): void
}

/** Who was tried when dispatch gave up: for the headers of the error the caller gets. */
export type Tried = { target: PreparedTarget; attempts: number; upstreamMs: number }

export type DispatchOptions = {
  clientSignal?: AbortSignal
  /** Headers for the failure dispatch answers with (an upstream error, exhaustion). */
  failureHeaders?: (tried: Tried) => Record<string, string>
  maxRetryAfterMs?: number
  backoffBaseMs?: number
  sleep?: (ms: number) => Promise<void>
}

const DEFAULT_MAX_RETRY_AFTER_MS = 5_000
const DEFAULT_BACKOFF_BASE_MS = 100

class Timeout extends Error {
  constructor(readonly phase: 'first byte' | 'total') {
    super(`Upstream ${phase} timeout`)
  }
}

export async function dispatch<T>(
  targets: PreparedTarget[],
  run: (target: PreparedTarget, signal: AbortSignal) => Promise<T>,
  options: DispatchOptions = {}
): Promise<Dispatched<T>> {
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS
  const backoffBaseMs = options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  let attempts = 0
  let upstreamMs = 0
  let lastFailure: UpstreamFailure | undefined

  for (const target of targets) {
    for (let retry = 0; retry <= target.retries; retry++) {
      attempts++
      const started = performance.now()
      const controller = new AbortController()
      const onClientAbort = () => controller.abort(options.clientSignal?.reason)
      options.clientSignal?.addEventListener('abort', onClientAbort)
      const firstByte = setTimeout(
        () => controller.abort(new Timeout('first byte')),
        target.firstByteTimeoutMs
      )
      const total = setTimeout(() => controller.abort(new Timeout('total')), target.timeoutMs)
      const finish = () => {
        clearTimeout(total)
        options.clientSignal?.removeEventListener('abort', onClientAbort)
      }
      try {
        const value = await run(target, controller.signal)
        clearTimeout(firstByte)
        upstreamMs += performance.now() - started
        recordSuccess(targetKey(target))
        return {
          value,
          target,
          attempts,
          upstreamMs,
          signal: controller.signal,
          finish,
          abort: (reason) => controller.abort(reason),
        }
      } catch (error) {
        clearTimeout(firstByte)
        finish()
        upstreamMs += performance.now() - started
        if (options.clientSignal?.aborted) throw clientGone()
        const failure = classify(error, controller.signal)
        if (!failure.retryable) {
          throw withHeaders(toClientError(failure), options, { target, attempts, upstreamMs })
        }
        recordFailure(targetKey(target))
        lastFailure = failure
        // A target that timed out is likely to again: the next target, not a second wait here.
        if (retry === target.retries || failure.kind === 'timeout') break
        const wait = failure.retryAfterMs ?? backoff(retry, backoffBaseMs)
        // A long retry-after is better spent on the next target than waiting here.
        if (wait > maxRetryAfterMs) break
        const sleepStarted = performance.now()
        await sleep(wait)
        upstreamMs += performance.now() - sleepStarted
      }
    }
  }
  const last = targets.at(-1)
  const failed = exhausted(lastFailure, attempts)
  throw last ? withHeaders(failed, options, { target: last, attempts, upstreamMs }) : failed
}

/** The error keeps its own headers (retry-after) and gains who was tried and at what cost. */
function withHeaders(error: GatewayError, options: DispatchOptions, tried: Tried): GatewayError {
  const extra = options.failureHeaders?.(tried)
  if (extra) Object.assign(error.headers, { ...extra, ...error.headers })
  return error
}

/** Full jitter: uniformly random up to the exponential bound, so retries do not synchronise. */
function backoff(retry: number, baseMs: number): number {
  return Math.random() * baseMs * 2 ** retry
}

function classify(error: unknown, signal: AbortSignal): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error
  if (signal.aborted && signal.reason instanceof Timeout) {
    return new UpstreamFailure('timeout', signal.reason.message)
  }
  if (error instanceof GatewayError) throw error
  if (error instanceof TypeError) return new UpstreamFailure('network', 'Upstream unreachable')
  return new UpstreamFailure('protocol', error instanceof Error ? error.message : 'Upstream failed')
}

function clientGone(): GatewayError {
  return new GatewayError(400, 'Client closed the request.', { code: 'client_closed_request' })
}

/** A non-retryable upstream answer (a 400, say) is the client's problem: pass its words on. */
function toClientError(failure: UpstreamFailure): GatewayError {
  const status = failure.status ?? 502
  if (status === 401 || status === 403) {
    // The deployment's (or tenant's) provider key was refused: not the caller's request.
    return new GatewayError(502, 'The upstream provider rejected the gateway credentials.', {
      type: 'upstream_error',
      code: 'upstream_auth_failed',
    })
  }
  return new GatewayError(status === 404 ? 404 : 400, failure.detail?.message ?? failure.message, {
    type: status === 404 ? 'not_found_error' : 'invalid_request_error',
    code: failure.detail?.code ?? 'upstream_rejected',
  })
}

function exhausted(failure: UpstreamFailure | undefined, attempts: number): GatewayError {
  const tries = `after ${attempts} attempt${attempts === 1 ? '' : 's'}`
  if (failure?.kind === 'timeout') {
    return new GatewayError(504, `Upstream timed out ${tries}.`, { code: 'upstream_timeout' })
  }
  if (failure?.status === 429) {
    const headers: Record<string, string> = failure.retryAfterMs
      ? { 'retry-after': String(Math.ceil(failure.retryAfterMs / 1000)) }
      : {}
    return new GatewayError(429, `Upstream is rate limiting ${tries}.`, {
      code: 'upstream_rate_limited',
      headers,
    })
  }
  if (failure?.kind === 'protocol') {
    return new GatewayError(502, `Upstream sent an invalid response ${tries}.`, {
      type: 'upstream_error',
      code: 'upstream_invalid_response',
    })
  }
  return new GatewayError(502, `Upstream failed ${tries}.`, {
    type: 'upstream_error',
    code: 'upstream_unavailable',
  })
}
