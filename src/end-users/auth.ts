/**
 * @module
 * Authenticating an end user: a gateway-minted client token (`gwct_…`) or a JWT from the tenant's
 * identity provider (with `x-gateway-tenant` naming the tenant). Either resolves to the tenant and
 * the API key it acts under, both from the isolate's key cache (src/tenancy/key-cache.ts, by ids),
 * so a warm isolate verifies with no round trip. What an end user may reach is narrower than any
 * key: END_USER_ENDPOINTS, and within them the key's own scopes.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { Context } from 'hono'
import type { TenantEnv } from '../env'
import { GatewayError, unauthorized } from '../errors'
import { logFailure } from '../lib/log'
import { staleOrUnavailable } from '../tenancy/auth'
import { cachedKey, FRESH_MS, idsLookup, type ResolvedKey, rememberKey } from '../tenancy/key-cache'
import { checkValidity, type KeyResolution, resolveKeyId } from '../tenancy/keys'
import { allowsEndpoint, matchesPattern } from '../tenancy/scopes'
import { getTenant } from '../tenancy/tenants'
import type { ApiKeyContext, TenantContext } from '../tenancy/types'
import { hasValidSignature, isClientToken, readClaims } from './client-tokens'
import { hashedUserId, requireRootKey, signingKey } from './derived-keys'
import { inlineKeys, isKeySet, remoteKeys } from './jwks'
import { looksLikeJwt, verifyJwt } from './jwt'
import { matchesOrigin } from './origins'
import type { EndUserLimits, EndUserSettings } from './settings'
import type { EndUser } from './types'

/** Inference only (OpenAI and Anthropic dialects): never admin, keys, collections, cache purge, usage or minting more tokens. */
export const END_USER_ENDPOINTS = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/models',
  '/v1/models/*',
  // The Anthropic dialect of chat: the same pipeline, so the same end-user limits.
  '/v1/messages',
  '/v1/messages/count_tokens',
]

export const TENANT_HEADER = 'x-gateway-tenant'

export type EndUserCaller = { tenant: TenantContext; apiKey: ApiKeyContext; endUser: EndUser }

/** Whether the presented credential is an end user's (so the API-key path never pays for this). */
export function isEndUserCredential(credential: string): boolean {
  return isClientToken(credential) || looksLikeJwt(credential)
}

export async function authenticateEndUser(
  c: Context<TenantEnv>,
  redis: Redis,
  credential: string
): Promise<EndUserCaller> {
  const caller = isClientToken(credential)
    ? await fromClientToken(c, redis, credential)
    : await fromJwt(c, redis, credential)
  const path = c.req.path
  if (
    !END_USER_ENDPOINTS.some((pattern) => matchesPattern(pattern, path)) ||
    !allowsEndpoint(caller.apiKey, path)
  ) {
    throw new GatewayError(403, `An end-user credential may not call ${path}.`, {
      code: 'end_user_endpoint_not_allowed',
    })
  }
  return caller
}

async function fromClientToken(
  c: Context<TenantEnv>,
  redis: Redis,
  token: string
): Promise<EndUserCaller> {
  const claims = readClaims(token)
  const root = requireRootKey(c.var.config.encryptionKey)
  // The signature is checked before anything is looked up: a forged token costs one HMAC.
  if (!(await hasValidSignature(token, await signingKey(root, claims.t, claims.v)))) {
    throw unauthorized('The client token signature does not verify.', 'invalid_client_token')
  }
  if (claims.exp <= Date.now()) {
    throw unauthorized('The client token has expired.', 'expired_client_token')
  }
  const resolved = await resolveByIds(c, claims.t, claims.k, () =>
    resolveKeyId(redis, claims.t, claims.k)
  )
  const settings = resolved.tenant.config.end_users
  const version = settings?.client_tokens?.signing_version ?? 1
  // The previous version stays valid through a rotation: no token outlives it by more than 2 h.
  if (claims.v !== version && claims.v !== version - 1) {
    throw unauthorized('The client token was signed with a retired secret.', 'client_token_rotated')
  }
  const revokedBefore = settings?.client_tokens?.revoked_before
  if (revokedBefore !== undefined && claims.iat < Date.parse(revokedBefore)) {
    throw unauthorized('The tenant revoked its client tokens.', 'client_token_revoked')
  }
  checkOrigin(c, settings, claims.o)
  return {
    tenant: resolved.tenant,
    apiKey: { ...resolved.apiKey, endUserModels: claims.m },
    endUser: await endUser(c, root, resolved.tenant, 'client_token', claims.u, {
      tier: claims.tr,
      limits: claims.l,
      maxTokens: claims.mt,
    }),
  }
}

async function fromJwt(c: Context<TenantEnv>, redis: Redis, token: string): Promise<EndUserCaller> {
  const tenantId = c.req.header(TENANT_HEADER)?.trim()
  if (!tenantId) {
    throw unauthorized(
      `A JWT needs the ${TENANT_HEADER} header naming the tenant that trusts its issuer.`,
      'missing_tenant'
    )
  }
  const resolved = await resolveByIds(c, tenantId, 'jwt', async () => {
    const keyId = (await getTenant(redis, tenantId))?.config.end_users?.jwt?.key_id
    return keyId ? resolveKeyId(redis, tenantId, keyId) : 'invalid'
  })
  const settings = resolved.tenant.config.end_users
  const jwt = settings?.jwt
  if (!jwt) throw unauthorized('This tenant accepts no JWTs.', 'jwt_not_configured')
  const keys = jwt.jwks_url
    ? remoteKeys(
        {
          redis,
          tenantId,
          policy: c.var.config,
          waitUntil: (work) => c.executionCtx.waitUntil(work),
          report: (what, error) => logFailure(c, what)(error),
        },
        jwt.jwks_url
      )
    : inlineKeys(isKeySet(jwt.jwks) ? jwt.jwks : { keys: [] })
  const verified = await verifyJwt(token, jwt, keys)
  checkOrigin(c, settings, undefined)
  const root = requireRootKey(c.var.config.encryptionKey)
  return {
    tenant: resolved.tenant,
    apiKey: { ...resolved.apiKey, endUserModels: verified.models },
    endUser: await endUser(c, root, resolved.tenant, 'jwt', verified.user, {
      tier: verified.tier,
      limits: undefined,
      maxTokens: undefined,
    }),
  }
}

/**
 * A browser always says where it runs: the page's origin must be the tenant's, and the token's
 * when it names some. A token bound to origins is refused without one (it was minted for a page).
 */
function checkOrigin(
  c: Context<TenantEnv>,
  settings: EndUserSettings | undefined,
  tokenOrigins: string[] | undefined
): void {
  const origin = c.req.header('origin')
  if (origin === undefined && tokenOrigins === undefined) return
  if (
    origin === undefined ||
    !matchesOrigin(settings?.cors_origins, origin) ||
    (tokenOrigins !== undefined && !matchesOrigin(tokenOrigins, origin))
  ) {
    throw unauthorized(
      `This credential may not be used from ${origin ?? 'a page without an origin'}.`,
      'origin_not_allowed'
    )
  }
}

async function endUser(
  c: Context<TenantEnv>,
  root: string,
  tenant: TenantContext,
  via: EndUser['via'],
  id: string,
  own: {
    tier: string | undefined
    limits: EndUserLimits | undefined
    maxTokens: number | undefined
  }
): Promise<EndUser> {
  const settings = tenant.config.end_users
  const tierLimits = own.tier === undefined ? undefined : settings?.tiers?.[own.tier]
  return {
    via,
    id,
    hashedId: await hashedUserId(root, tenant.id, id),
    limits: { ...settings?.limits, ...tierLimits, ...own.limits },
    maxTokens: own.maxTokens,
    ip: c.req.header('cf-connecting-ip'),
  }
}

/** The key an end user acts under, from the isolate cache (fresh for FRESH_MS) or Redis. */
async function resolveByIds(
  c: Context<TenantEnv>,
  tenantId: string,
  label: string,
  load: () => ReturnType<typeof resolveKeyId>
): Promise<ResolvedKey> {
  const lookup = idsLookup(tenantId, label)
  const cached = cachedKey(lookup, FRESH_MS)
  let resolution: KeyResolution
  if (cached) {
    resolution = checkValidity(cached)
  } else {
    try {
      const found = await load()
      if (typeof found === 'object') {
        rememberKey(lookup, found.secretHash, found.resolved)
        resolution = found.resolved
      } else {
        resolution = found
      }
    } catch (error) {
      resolution = staleOrUnavailable(c, lookup, error)
    }
  }
  if (typeof resolution !== 'object') {
    throw unauthorized(
      'The key this credential acts under is revoked, expired or unknown.',
      'end_user_key_invalid'
    )
  }
  return resolution
}
