/**
 * @module
 * POST /v1/client_tokens: the tenant's backend, with its secret key, mints a short-lived token for
 * one of its users, to hand to a browser or mobile app. The token acts under the minting key and
 * can only narrow it: its life ends by the key's expiry, its models narrow the key's, its origins
 * must be among the tenant's.
 */
import type { Handler } from 'hono'
import type { TenantEnv } from '../env'
import { GatewayError } from '../errors'
import { readJsonBody } from '../lib/json-body'
import { validate } from '../lib/validate'
import { checkMintOrigins, MintRequestSchema, signClientToken } from './client-tokens'
import { requireRootKey, signingKey } from './derived-keys'

export const CLIENT_TOKENS_PATH = '/client_tokens'

export function mintClientToken(): Handler<TenantEnv> {
  return async function mintClientToken(c) {
    const { tenant, apiKey, endUser, config } = c.var
    if (endUser) {
      throw new GatewayError(403, 'Client tokens are minted with a tenant API key.', {
        code: 'end_user_endpoint_not_allowed',
      })
    }
    const input = validate(MintRequestSchema(), await readJsonBody(c))
    const settings = tenant.config.end_users
    if (input.origins) checkMintOrigins(input.origins, settings?.cors_origins)
    if (input.tier !== undefined && settings?.tiers?.[input.tier] === undefined) {
      throw new GatewayError(400, `Unknown tier ${input.tier}: not in end_users.tiers.`, {
        param: 'tier',
        code: 'invalid_request',
      })
    }
    const root = requireRootKey(config.encryptionKey)
    const version = settings?.client_tokens?.signing_version ?? 1
    const now = Date.now()
    const exp = Math.min(
      now + input.ttl_seconds * 1000,
      apiKey.expiresAt ?? Number.POSITIVE_INFINITY
    )
    const token = await signClientToken(await signingKey(root, tenant.id, version), {
      t: tenant.id,
      k: apiKey.id,
      u: input.user,
      // Milliseconds: a revocation epoch must split tokens minted within the same second.
      iat: now,
      exp,
      v: version,
      m: input.models,
      o: input.origins,
      mt: input.max_tokens,
      l: input.limits,
      tr: input.tier,
    })
    return c.json({ token, expires_at: Math.floor(exp / 1000) }, 200, {
      'cache-control': 'no-store',
    })
  }
}
