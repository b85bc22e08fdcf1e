import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../env'
import { GatewayError, INTERNAL_ERROR } from '../errors'
import { anthropicErrorResponse, speaksAnthropic } from '../ingress/anthropic/errors'
import { logFailure } from '../lib/log'
import { resolveRequestId } from '../lib/request-id'
import { dependencyUnavailable } from '../upstash/dependency'
import { REQUEST_ID_HEADER } from './request-id'

/** The one place a failure becomes a response: the OpenAI envelope, never a stack or a secret. */
export function errorHandler(): ErrorHandler<AppEnv> {
  return function errorHandler(err, c) {
    const error = toGatewayError(err)
    if (error === INTERNAL_ERROR || error.status >= 500) {
      logFailure(c, 'request', { status: error.status })(err)
    }
    return respondWithError(c, error)
  }
}

export function notFoundHandler(): NotFoundHandler<AppEnv> {
  return function notFound(c) {
    const error = new GatewayError(404, `Unknown route: ${c.req.method} ${c.req.path}`, {
      code: 'unknown_route',
    })
    return respondWithError(c, error)
  }
}

export function respondWithError<E extends AppEnv>(c: Context<E>, error: GatewayError): Response {
  // The request id is set even when the failure came before the middleware that sets it.
  const requestId = c.get('requestId') ?? resolveRequestId(c.req.header(REQUEST_ID_HEADER))
  const headers = { ...error.headers, [REQUEST_ID_HEADER]: requestId }
  if (speaksAnthropic(c.req.path, c.req.raw.headers)) return anthropicErrorResponse(error, headers)
  return c.json(error.toEnvelope(), error.status, headers)
}

export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  if (err instanceof HTTPException) {
    // Hono's own middleware (body limit, validators) throws these; keep their status, not their text.
    const status = err.status
    return new GatewayError(
      status === 413 ? 413 : status,
      status === 413 ? 'Request body is too large.' : err.message || 'Request failed.'
    )
  }
  // A dependency that is down is the caller's reason to retry, not a bug of ours.
  return dependencyUnavailable(err) ?? INTERNAL_ERROR
}
