/**
 * @module
 * The one error type of the gateway. Everything that fails a request throws a `GatewayError`;
 * `app.onError` turns it into the OpenAI error envelope, so clients built for OpenAI read our
 * failures the same way they read OpenAI's.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_exceeded'
  | 'insufficient_quota'
  | 'upstream_error'
  | 'timeout_error'
  | 'service_unavailable'
  | 'server_error'

export type ErrorEnvelope = {
  error: { message: string; type: ErrorType; param: string | null; code: string | null }
}

type GatewayErrorOptions = {
  type?: ErrorType
  code?: string | null
  param?: string | null
  headers?: Record<string, string>
  cause?: unknown
}

const DEFAULT_TYPE: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_exceeded',
  502: 'upstream_error',
  503: 'service_unavailable',
  504: 'timeout_error',
}

export class GatewayError extends Error {
  readonly status: ContentfulStatusCode
  readonly type: ErrorType
  readonly code: string | null
  readonly param: string | null
  readonly headers: Record<string, string>

  constructor(status: ContentfulStatusCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'GatewayError'
    this.status = status
    this.type = options.type ?? DEFAULT_TYPE[status] ?? 'server_error'
    this.code = options.code ?? null
    this.param = options.param ?? null
    this.headers = options.headers ?? {}
  }

  toEnvelope(): ErrorEnvelope {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

/** The only message an unexpected failure shows a client: internals stay in the logs. */
export const INTERNAL_ERROR = new GatewayError(500, 'The gateway failed to process the request.', {
  type: 'server_error',
  code: 'internal_error',
})

/** A refused credential: 401 with the challenge, the code naming which check failed. */
export function unauthorized(message: string, code: string): GatewayError {
  return new GatewayError(401, message, { code, headers: { 'www-authenticate': 'Bearer' } })
}

/** One answer for "no such model" and "not yours": scopes do not reveal what exists. */
export function modelNotFound(model: string): GatewayError {
  return new GatewayError(
    404,
    `The model '${model}' does not exist or you do not have access to it.`,
    {
      param: 'model',
      code: 'model_not_found',
    }
  )
}
