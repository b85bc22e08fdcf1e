/**
 * @module
 * Verifying a JWT the tenant's identity provider issued (Supabase, Clerk, Auth0, Firebase, any
 * OIDC provider): signature with `jose` against the tenant's key set, asymmetric algorithms only,
 * `iss`, `aud`, `exp` (required) and `nbf`, then the claims the tenant maps to the end user, its
 * models and its tier. Every refusal is a 401 whose code names the failed check.
 */

import type { JWTPayload } from 'jose'
import {
  JOSEAlgNotAllowed,
  JOSEError,
  JWKSNoMatchingKey,
  JWSSignatureVerificationFailed,
  JWTClaimValidationFailed,
  JWTExpired,
} from 'jose/errors'
import { type JWTVerifyGetKey, jwtVerify } from 'jose/jwt/verify'
import { GatewayError, unauthorized } from '../errors'
import type { JwtSettings } from './settings'

const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/

export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential)
}

export type VerifiedJwt = { user: string; models: string[] | undefined; tier: string | undefined }

export async function verifyJwt(
  token: string,
  settings: JwtSettings,
  keys: JWTVerifyGetKey
): Promise<VerifiedJwt> {
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, keys, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: settings.algorithms,
      clockTolerance: settings.clock_tolerance_seconds,
      requiredClaims: ['exp'],
    }))
  } catch (error) {
    throw refusal(error)
  }
  const user = payload[settings.user_claim]
  if (typeof user !== 'string' || user.length === 0 || user.length > 256) {
    throw unauthorized(
      `The token's ${settings.user_claim} claim names no user.`,
      'missing_user_claim'
    )
  }
  return {
    user,
    models: settings.models_claim ? stringList(payload[settings.models_claim]) : undefined,
    tier: settings.tier_claim ? stringClaim(payload[settings.tier_claim]) : undefined,
  }
}

/** A models claim that is absent or not a list of strings grants nothing beyond the key's. */
function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/[ ,]+/).filter(Boolean)
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value
  return value === undefined ? undefined : []
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function refusal(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error
  if (error instanceof JWTExpired) return unauthorized('The token has expired.', 'token_expired')
  if (error instanceof JWTClaimValidationFailed) {
    return unauthorized(
      `The token's ${error.claim} claim is not accepted: ${error.reason}.`,
      `invalid_token_${error.claim}`
    )
  }
  if (error instanceof JOSEAlgNotAllowed) {
    return unauthorized(
      'The token is signed with an algorithm this tenant does not accept.',
      'token_algorithm_not_allowed'
    )
  }
  if (error instanceof JWKSNoMatchingKey) {
    return unauthorized(
      "The token's signing key is not in the tenant's key set.",
      'unknown_signing_key'
    )
  }
  if (error instanceof JWSSignatureVerificationFailed) {
    return unauthorized("The token's signature does not verify.", 'invalid_token_signature')
  }
  if (error instanceof JOSEError || error instanceof TypeError) {
    return unauthorized('Malformed token.', 'invalid_token')
  }
  throw error
}
