import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'

/**
 * Answers that carry a tenant's records, usage or secrets (a new key's, once): no browser,
 * proxy or CDN may keep a copy. Matched on the path, so a route added under them is covered.
 */
function isPrivate(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/') || path === '/v1/usage'
}

/**
 * Headers every response carries, set in one place after the handler (or `onError`, or
 * `notFound`) has built it. `nosniff`, because error bodies echo client input and must never be
 * sniffed into HTML or script.
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    await next()
    c.res.headers.set('x-content-type-options', 'nosniff')
    if (isPrivate(c.req.path)) c.res.headers.set('cache-control', 'no-store')
  }
}
