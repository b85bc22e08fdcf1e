/**
 * @module
 * CORS for browser apps, per tenant. Preflights (`OPTIONS` with `Access-Control-Request-Method`)
 * carry no credential, so they are answered here, before authentication, for any origin some
 * tenant allows (the gateway-wide index, src/end-users/origin-registry.ts). The real request is
 * answered with CORS headers only when its own tenant allows the origin; an end-user credential
 * used from another origin was already refused by its authentication. A disallowed origin gets no
 * `Access-Control-*` header at all, so the browser refuses the response. The origin is echoed,
 * never `*`, and no credentials mode is offered: the gateway reads no cookies.
 */
import type { MiddlewareHandler } from 'hono'
import type { OriginRegistry } from '../end-users/origin-registry'
import { matchesOrigin } from '../end-users/origins'
import type { TenantEnv } from '../env'
import type { TenantContext } from '../tenancy/types'

const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS'

/** What the official OpenAI and Anthropic SDKs send, plus the gateway's own tenant header. */
const ALLOWED_HEADERS = new Set([
  'authorization',
  'content-type',
  'x-api-key',
  'openai-beta',
  'openai-organization',
  'openai-project',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'idempotency-key',
  'x-request-id',
  'x-gateway-tenant',
])

/** `x-stainless-*` are the SDKs' telemetry headers: many, and new ones appear with releases. */
function isAllowedHeader(name: string): boolean {
  return ALLOWED_HEADERS.has(name) || name.startsWith('x-stainless-')
}

const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-cache',
  'x-cache-similarity',
  'x-gateway-target',
  'x-gateway-attempts',
  'x-gateway-overhead-ms',
  'x-gateway-usage',
  'x-gateway-degraded',
  'x-gateway-budget-warning',
  ...['limit', 'remaining', 'reset'].flatMap((what) =>
    ['requests', 'tokens'].map((kind) => `x-ratelimit-${what}-${kind}`)
  ),
].join(', ')

/** Seconds a browser may reuse a preflight answer (Chromium caps it at 7200). */
export const PREFLIGHT_MAX_AGE_SECONDS = 600

export function cors({ origins }: { origins: OriginRegistry }): MiddlewareHandler<TenantEnv> {
  return async function cors(c, next) {
    const origin = c.req.header('origin')
    if (origin === undefined) return next()
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      if (!(await origins.allows(origin))) return c.body(null, 204, { vary: 'Origin' })
      const requested = (c.req.header('access-control-request-headers') ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name.length > 0 && isAllowedHeader(name))
      return c.body(null, 204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': ALLOWED_METHODS,
        'access-control-allow-headers': [...new Set([...ALLOWED_HEADERS, ...requested])].join(', '),
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        vary: 'Origin',
      })
    }
    await next()
    // Unset when authentication refused the request: its error is readable from any origin some
    // tenant allows, so the page can show why.
    const tenant: TenantContext | undefined = c.var.tenant
    const allowed = tenant
      ? matchesOrigin(tenant.config.end_users?.cors_origins, origin)
      : await origins.allows(origin)
    c.res.headers.append('vary', 'Origin')
    if (allowed) {
      c.res.headers.set('access-control-allow-origin', origin)
      c.res.headers.set('access-control-expose-headers', EXPOSED_HEADERS)
    }
  }
}
