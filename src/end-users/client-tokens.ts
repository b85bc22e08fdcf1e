/**
 * @module
 * Gateway-minted client tokens: `gwct_<payload>.<signature>`, the payload base64url JSON, the
 * signature HMAC-SHA-256 under the tenant's signing key of the payload's version
 * (src/end-users/derived-keys.ts). Verifying is one HMAC in the isolate, no Redis. A token names
 * the key that minted it, so whatever that key may not do (revoked, expired, scoped) the token
 * may not either.
 */
import * as z from 'zod/mini'
import { GatewayError, unauthorized } from '../errors'
import { fromBase64, toBase64Url } from '../lib/crypto'
import { lazy } from '../lib/lazy'
import { matchesOrigin } from './origins'
import { EndUserLimitsSchema, OriginPatternsSchema } from './settings'

export const CLIENT_TOKEN_PREFIX = 'gwct_'
export const MIN_TTL_SECONDS = 10
export const MAX_TTL_SECONDS = 7200
const MAX_TOKEN_CHARS = 8192

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const userId = lazy(() => z.string().check(z.minLength(1), z.maxLength(256)))
const models = lazy(() =>
  z.array(z.string().check(z.minLength(1), z.maxLength(200))).check(z.maxLength(50))
)

/** What a tenant's backend sends to `POST /v1/client_tokens`. */
export const MintRequestSchema = lazy(() =>
  z.strictObject({
    user: userId(),
    ttl_seconds: z.int().check(z.minimum(MIN_TTL_SECONDS), z.maximum(MAX_TTL_SECONDS)),
    models: z.optional(models()),
    origins: z.optional(OriginPatternsSchema()),
    max_tokens: z.optional(z.int().check(z.minimum(1), z.maximum(10_000_000))),
    limits: z.optional(EndUserLimitsSchema()),
    tier: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  })
)

export type MintRequest = z.infer<ReturnType<typeof MintRequestSchema>>

/** Short field names: the token travels in every request's Authorization header. */
const ClaimsSchema = lazy(() =>
  z.strictObject({
    // Bounded as the ids and versions the gateway issues: each new (t, v) pair a forged token
    // names would otherwise cost a key derivation and a place in the isolate's key cache.
    t: z.string().check(z.regex(/^tn_[A-Za-z0-9_-]{1,32}$/)),
    k: z.string().check(z.maxLength(64)),
    u: userId(),
    iat: z.int(),
    exp: z.int(),
    v: z.int().check(z.minimum(1), z.maximum(1_000_000)),
    m: z.optional(models()),
    o: z.optional(OriginPatternsSchema()),
    mt: z.optional(z.int()),
    l: z.optional(EndUserLimitsSchema()),
    tr: z.optional(z.string()),
  })
)

export type ClientTokenClaims = z.infer<ReturnType<typeof ClaimsSchema>>

export function isClientToken(credential: string): boolean {
  return credential.startsWith(CLIENT_TOKEN_PREFIX)
}

export async function signClientToken(key: CryptoKey, claims: ClientTokenClaims): Promise<string> {
  const payload = toBase64Url(encoder.encode(JSON.stringify(claims)))
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(payload))
  return `${CLIENT_TOKEN_PREFIX}${payload}.${toBase64Url(new Uint8Array(mac))}`
}

/** The claims as the token states them, not yet verified: they say which key checks it. */
export function readClaims(token: string): ClientTokenClaims {
  const body = token.slice(CLIENT_TOKEN_PREFIX.length)
  const [payload, signature, extra] = body.split('.')
  if (token.length > MAX_TOKEN_CHARS || !payload || !signature || extra !== undefined) {
    throw invalid('Malformed client token.')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(fromBase64(payload)))
  } catch {
    throw invalid('Malformed client token.')
  }
  const claims = ClaimsSchema().safeParse(parsed)
  if (!claims.success) throw invalid('Malformed client token.')
  return claims.data
}

/** Constant-time (WebCrypto's HMAC verify) check of the signature over the payload as sent. */
export async function hasValidSignature(token: string, key: CryptoKey): Promise<boolean> {
  const body = token.slice(CLIENT_TOKEN_PREFIX.length)
  const dot = body.indexOf('.')
  let signature: Uint8Array
  try {
    signature = fromBase64(body.slice(dot + 1))
  } catch {
    return false
  }
  return crypto.subtle.verify('HMAC', key, signature, encoder.encode(body.slice(0, dot)))
}

/** A token's origins must each be allowed by the tenant: it narrows the tenant's list. */
export function checkMintOrigins(requested: string[], allowed: string[] | undefined): void {
  for (const origin of requested) {
    if (origin.includes('*') || !matchesOrigin(allowed, origin)) {
      throw new GatewayError(
        400,
        `Origin ${origin} is not an exact origin in the tenant's end_users.cors_origins.`,
        { param: 'origins', code: 'origin_not_allowed' }
      )
    }
  }
}

function invalid(message: string): GatewayError {
  return unauthorized(message, 'invalid_client_token')
}
