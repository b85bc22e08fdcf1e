/**
 * @module
 * One request as the log line and the metrics see it, assembled from what the pipeline already
 * knows: the answer's facts (the same ones its headers are built from), its metered usage and,
 * for a stream, how the stream ended. Nothing here does I/O; the record is written after the
 * response (src/observability/middleware.ts).
 */

import type { CacheStatus } from '../cache/status'
import { type AnswerFacts, overheadMs } from '../chat/headers'
import type { MeteredUsage } from '../metering/usage'

export type Operation = 'chat' | 'embeddings'
export type StreamOutcome = 'finished' | 'failed' | 'cancelled'

export type RequestRecord = {
  requestId: string
  method: string
  path: string
  status: number
  tenantId?: string
  keyId?: string
  /** The request's `user` label in clear: hashed before it is written anywhere. */
  endUser?: string
  operation?: Operation
  /** The model the client asked for (a catalog name, or `provider/model`). */
  requestedModel?: string
  /** `provider/model` resolved for the request, then the one that answered. */
  target?: string
  stream?: boolean
  streamOutcome?: StreamOutcome
  cache?: CacheStatus
  attempts?: number
  inputTokens?: number
  outputTokens?: number
  usageEstimated?: boolean
  costUsd?: number
  upstreamMs?: number
  /** Request start to the first token the client could read (the whole answer when not streamed). */
  ttftMs?: number
  overheadMs?: number
  totalMs: number
  errorType?: string
  errorCode?: string
}

/** The request's text as thunks, read only when the tenant logs payloads (./payload.ts). */
export type Payload = { prompt?: () => string; answer?: () => string }

/** What the pipeline's stages tell the observation; everything else the middleware reads itself. */
export type Stage = { name: string; start: number; end: number | undefined; failed: boolean }

type Noted = Omit<RequestRecord, 'requestId' | 'method' | 'path' | 'status' | 'totalMs'>

/**
 * The request's record while it is being answered. `hold()` keeps it open past the response for
 * a stream, whose usage and outcome are known only when the last chunk has gone.
 */
export class RequestObservation {
  readonly noted: Noted = {}
  /** The pipeline's stages, in performance.now() milliseconds, for the trace's child spans. */
  readonly stages: Stage[] = []
  /** What the client sent and what it was shown: left unread unless the tenant logs payloads. */
  readonly payload: Payload = {}
  /** Wall-clock time at arrival: spans are exported in epoch time. */
  readonly epochMs = Date.now()
  /** When the route's handler started: everything before it is authentication and setup. */
  handlerAt: number | undefined
  private holds = 0
  private complete: (() => void) | undefined

  constructor(readonly startedAt: number) {}

  /** Passes `work` through, noting when it started and settled as one stage of the request. */
  timed<T>(name: string, work: Promise<T>): Promise<T> {
    const stage: Stage = { name, start: performance.now(), end: undefined, failed: false }
    this.stages.push(stage)
    return work.then(
      (value) => {
        stage.end = performance.now()
        return value
      },
      (error: unknown) => {
        stage.end = performance.now()
        stage.failed = true
        throw error
      }
    )
  }

  /**
   * What the request asked for: the operation as soon as the route is known (so a body refused
   * by validation is still labelled), the details once it is validated.
   */
  requested(
    operation: Operation,
    detail: { stream?: boolean; endUser?: string; model?: string } = {}
  ): void {
    this.handlerAt ??= performance.now()
    this.noted.operation = operation
    if (detail.stream) this.noted.stream = true
    if (detail.endUser !== undefined) this.noted.endUser = detail.endUser
    if (detail.model !== undefined) this.noted.requestedModel = detail.model
  }

  /** The first target, before dispatch: errors from there on are labelled with its model. */
  routed(target: string): void {
    this.noted.target = target
  }

  /** The facts the answer's headers are built from, at the moment they are. */
  answered(facts: AnswerFacts): void {
    const now = performance.now()
    this.noted.target = facts.servedBy.target
    this.noted.attempts = facts.servedBy.attempts
    this.noted.upstreamMs = facts.servedBy.upstreamMs
    this.noted.overheadMs = overheadMs(facts, now)
    this.noted.ttftMs = now - this.startedAt
    if (facts.cache?.status) this.noted.cache = facts.cache.status
  }

  /** The prompt as the client sent it, or the answer as the client saw it (a stream: as relayed). */
  exchanged(part: keyof Payload, text: () => string): void {
    this.payload[part] = text
  }

  metered(usage: Omit<MeteredUsage, 'endpoint'>, costUsd: number): void {
    this.noted.inputTokens = usage.promptTokens
    this.noted.outputTokens = usage.completionTokens
    this.noted.usageEstimated = usage.estimated
    this.noted.costUsd = costUsd
    if (usage.cache) this.noted.cache = usage.cache
  }

  /** Keeps the record open until the returned function is called with the stream's outcome. */
  hold(): (outcome: StreamOutcome) => void {
    this.holds++
    let released = false
    return (outcome) => {
      if (released) return
      released = true
      this.noted.streamOutcome = outcome
      this.holds--
      if (this.holds === 0) this.complete?.()
    }
  }

  /** Called once the response is ready; `done` runs now, or when the last hold is released. */
  whenComplete(done: () => void): void {
    if (this.holds === 0) done()
    else this.complete = done
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt
  }
}

/** A failure is a 4xx/5xx answer or a stream that broke after its 200. */
export function failed(record: RequestRecord): boolean {
  return record.status >= 400 || record.streamOutcome === 'failed'
}
