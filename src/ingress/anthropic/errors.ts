/**
 * @module
 * Failures on the Anthropic routes in Anthropic's envelope,
 * `{"type":"error","error":{"type","message"}}`, with Anthropic's error types and status codes,
 * so Anthropic's SDKs raise the same error classes they raise against Anthropic itself.
 */
import type { ErrorType, GatewayError } from '../../errors'
import { ANTHROPIC_VERSION_HEADER } from './models'

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error'

export type AnthropicErrorEnvelope = {
  type: 'error'
  error: { type: AnthropicErrorType; message: string }
}

const TYPES: Record<ErrorType, AnthropicErrorType> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  rate_limit_exceeded: 'rate_limit_error',
  // A spent budget is Anthropic's "out of credit", not a wait-and-retry.
  insufficient_quota: 'billing_error',
  upstream_error: 'api_error',
  timeout_error: 'timeout_error',
  service_unavailable: 'overloaded_error',
  server_error: 'api_error',
}

/** Anthropic's codes where its API documents one for the same meaning; ours otherwise. */
const STATUSES: Partial<Record<AnthropicErrorType, number>> = {
  billing_error: 402,
  overloaded_error: 529,
}

const ANTHROPIC_PATH = /^\/v1\/messages(?:\/|$)/
const SHARED_PATH = /^\/v1\/models(?:\/|$)/

/**
 * The callers that read Anthropic's envelope: every one on the Anthropic routes, and Anthropic
 * clients (they send `anthropic-version`) on the routes both dialects share.
 */
export function speaksAnthropic(path: string, headers: Headers): boolean {
  return (
    ANTHROPIC_PATH.test(path) || (SHARED_PATH.test(path) && headers.has(ANTHROPIC_VERSION_HEADER))
  )
}

export function anthropicErrorType(type: ErrorType, status: number): AnthropicErrorType {
  if (status === 413) return 'request_too_large'
  return TYPES[type]
}

export function anthropicEnvelope(
  type: ErrorType,
  status: number,
  message: string
): AnthropicErrorEnvelope {
  return { type: 'error', error: { type: anthropicErrorType(type, status), message } }
}

export function anthropicErrorResponse(
  error: GatewayError,
  headers: Record<string, string>
): Response {
  const body = anthropicEnvelope(error.type, error.status, error.message)
  // 415 has no Anthropic counterpart; its SDKs raise BadRequestError only for a 400.
  const status = STATUSES[body.error.type] ?? (error.status === 415 ? 400 : error.status)
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'content-type': 'application/json' },
  })
}
