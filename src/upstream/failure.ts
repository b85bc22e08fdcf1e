import type { UpstreamErrorDetail } from '../providers/types'

const RETRYABLE_STATUS = new Set([408, 409, 429])

/** Why one attempt at one target failed, and whether another attempt may succeed. */
export class UpstreamFailure extends Error {
  readonly kind: 'status' | 'network' | 'timeout' | 'protocol'
  readonly status: number | undefined
  readonly retryAfterMs: number | undefined
  readonly detail: UpstreamErrorDetail | undefined

  constructor(
    kind: UpstreamFailure['kind'],
    message: string,
    extra: { status?: number; retryAfterMs?: number; detail?: UpstreamErrorDetail } = {}
  ) {
    super(message)
    this.name = 'UpstreamFailure'
    this.kind = kind
    this.status = extra.status
    this.retryAfterMs = extra.retryAfterMs
    this.detail = extra.detail
  }

  get retryable(): boolean {
    if (this.kind !== 'status' || this.status === undefined) return true
    return RETRYABLE_STATUS.has(this.status) || this.status >= 500
  }
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'))
  if (Number.isFinite(ms) && ms > 0) return ms
  const value = headers.get('retry-after')
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
