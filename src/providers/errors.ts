import { isRecord, safeJsonParse } from '../lib/json'
import type { UpstreamErrorDetail } from './types'

/**
 * An upstream that fails after it started answering: the stream cannot fall back any more, so
 * the client is told with an explicit SSE error event.
 */
export class UpstreamStreamError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UpstreamStreamError'
  }
}

/** A response that does not have the shape its provider documents. */
export class UpstreamProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UpstreamProtocolError'
  }
}

/** `{"error": {"message", "code"|"type"}}`, the envelope OpenAI and Anthropic both use. */
export function errorEnvelopeDetail(status: number, bodyText: string): UpstreamErrorDetail {
  const json = safeJsonParse(bodyText)
  const error = isRecord(json) && isRecord(json.error) ? json.error : undefined
  const message = typeof error?.message === 'string' ? error.message : `Upstream returned ${status}`
  const code =
    typeof error?.code === 'string'
      ? error.code
      : typeof error?.type === 'string'
        ? error.type
        : null
  return { message, code }
}
