import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { resolveRequestId } from '../lib/request-id'

export const REQUEST_ID_HEADER = 'x-request-id'

/** First in the chain, so every response, errors included, carries the request id. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    c.set('startedAt', performance.now())
    const id = resolveRequestId(c.req.header(REQUEST_ID_HEADER))
    c.set('requestId', id)
    c.header(REQUEST_ID_HEADER, id)
    await next()
  }
}
