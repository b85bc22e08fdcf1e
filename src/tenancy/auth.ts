/**
 * @module
 * Client authentication: `Authorization: Bearer <key>` or `x-api-key: <key>` (what Anthropic
 * clients send). Sets `c.var.tenant` and `c.var.apiKey`, and enforces the key's endpoint scope.
 * End-user credentials (client tokens, tenant JWTs) go to src/end-users/auth.ts, which also sets
 * `c.var.endUser`.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { Context, MiddlewareHandler } from 'hono'
import { authenticateEndUser, isEndUserCredential } from '../end-users/auth'
import type { TenantEnv } from '../env'
import { GatewayError, unauthorized } from '../errors'
import { sha256Hex } from '../lib/crypto'
import { logFailure } from '../lib/log'
import { cachedKey, FRESH_MS, type ResolvedKey, rememberKey, STALE_IF_ERROR_MS } from './key-cache'
import {
  checkValidity,
  isWellFormedSecret,
  type KeyResolution,
  resolveSecret,
  touchKey,
} from './keys'
import { allowsEndpoint } from './scopes'

export type TenantAuthOptions = { redis: Redis }

export function tenantAuth({ redis }: TenantAuthOptions): MiddlewareHandler<TenantEnv> {
  return async function tenantAuth(c, next) {
    const secret = presentedSecret(c)
    if (!isWellFormedSecret(secret)) {
      // Tested only once the key pattern failed: an API key's request pays nothing for it.
      if (isEndUserCredential(secret)) {
        const caller = await authenticateEndUser(c, redis, secret)
        c.set('tenant', caller.tenant)
        c.set('apiKey', caller.apiKey)
        c.set('endUser', caller.endUser)
        return next()
      }
      throw unauthorized('Malformed API key. Gateway keys start with sk-gw-.', 'invalid_api_key')
    }
    const resolution = await resolve(c, redis, secret)
    if (resolution === 'expired') throw unauthorized('This API key has expired.', 'expired_api_key')
    if (resolution === 'invalid') throw unauthorized('Invalid API key.', 'invalid_api_key')
    if (!allowsEndpoint(resolution.apiKey, c.req.path)) {
      throw new GatewayError(403, `This API key may not call ${c.req.path}.`, {
        code: 'endpoint_not_allowed',
      })
    }
    c.set('tenant', resolution.tenant)
    c.set('apiKey', resolution.apiKey)
    await next()
  }
}

function presentedSecret(c: Context<TenantEnv>): string {
  const authorization = c.req.header('authorization')
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization)
    if (!match?.[1]) {
      throw unauthorized(
        'Malformed Authorization header: expected "Bearer <key>".',
        'invalid_api_key'
      )
    }
    return match[1]
  }
  const apiKeyHeader = c.req.header('x-api-key')?.trim()
  if (!apiKeyHeader) {
    throw unauthorized(
      'Missing API key. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".',
      'missing_api_key'
    )
  }
  return apiKeyHeader
}

async function resolve(
  c: Context<TenantEnv>,
  redis: Redis,
  secret: string
): Promise<KeyResolution> {
  const fresh = cachedKey(secret, FRESH_MS)
  if (fresh) return checkValidity(fresh)
  const secretHash = await sha256Hex(secret)
  let resolution: KeyResolution
  try {
    resolution = await resolveSecret(redis, secretHash)
  } catch (error) {
    return staleOrUnavailable(c, secret, error)
  }
  if (typeof resolution === 'object') {
    rememberKey(secret, secretHash, resolution)
    c.executionCtx.waitUntil(touchKey(redis, resolution.apiKey).catch(logFailure(c, 'touch key')))
  }
  return resolution
}

/** Redis is down: a recently resolved key still authenticates, so fail-open tenants are served. */
export function staleOrUnavailable(
  c: Context<TenantEnv>,
  secret: string,
  error: unknown
): KeyResolution {
  const stale: ResolvedKey | undefined = cachedKey(secret, STALE_IF_ERROR_MS)
  logFailure(c, 'resolve key')(error)
  if (stale) return checkValidity(stale)
  throw new GatewayError(503, 'The gateway cannot verify API keys right now; retry shortly.', {
    code: 'auth_unavailable',
    headers: { 'retry-after': '1' },
    cause: error,
  })
}
