/**
 * @module
 * A tenant's settings for end users, the people behind a browser or mobile app who call the
 * gateway directly with a short-lived credential instead of the tenant's secret key: allowed
 * browser origins, the tenant's identity provider (JWTs), gateway-minted client tokens, and the
 * limits and budgets each end user gets. One field of the tenant config, `end_users`.
 */
import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'

const MAX_PER_MINUTE = 1_000_000_000
const MAX_USD = 1_000_000

/** Asymmetric only: an HMAC secret would have to be shared with the gateway, and `none` is no signature. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
  'ES384',
  'EdDSA',
] as const

/**
 * `https://app.example.com` (scheme, host and port, no path) or `https://*.example.com`, which
 * matches any subdomain at any depth but not the apex.
 */
const ORIGIN_PATTERN = /^https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/
export const OriginPatternsSchema = lazy(() =>
  z
    .array(z.string().check(z.maxLength(300), z.regex(ORIGIN_PATTERN, 'must be an origin')))
    .check(z.maxLength(100))
)

const perMinute = lazy(() => z.int().check(z.minimum(1), z.maximum(MAX_PER_MINUTE)))
const usd = lazy(() => z.number().check(z.minimum(0), z.maximum(MAX_USD)))

/** What one end user may consume; every field optional, the tighter settings override. */
export const EndUserLimitsSchema = lazy(() =>
  z.strictObject({
    requests_per_minute: z.optional(perMinute()),
    tokens_per_minute: z.optional(perMinute()),
    /** UTC-day spend above which the end user's requests are refused. */
    daily_usd: z.optional(usd()),
    /** Calendar-month (UTC) spend above which the end user's requests are refused. */
    monthly_usd: z.optional(usd()),
  })
)

export type EndUserLimits = z.infer<ReturnType<typeof EndUserLimitsSchema>>

const claimName = lazy(() => z.string().check(z.minLength(1), z.maxLength(100)))

export const JwtSettingsSchema = lazy(() =>
  z
    .strictObject({
      /** Where the identity provider publishes its keys (fetched through the SSRF guard). */
      jwks_url: z.optional(z.url({ protocol: /^https?$/ })),
      /** Or the key set itself, for providers without a JWKS endpoint. */
      jwks: z.optional(
        z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).check(z.maxLength(50)) })
      ),
      /** Required `iss`. */
      issuer: z.string().check(z.minLength(1), z.maxLength(500)),
      /** Required `aud` (one of them, when several). */
      audience: z.union([
        z.string().check(z.minLength(1), z.maxLength(500)),
        z.array(z.string().check(z.minLength(1), z.maxLength(500))).check(z.minLength(1)),
      ]),
      algorithms: z._default(z.array(z.enum(JWT_ALGORITHMS)).check(z.minLength(1)), [
        'RS256',
        'ES256',
        'EdDSA',
      ]),
      /**
       * The tenant API key JWT users act under: its scopes and limits bound what they may do,
       * and usage is metered under it.
       */
      key_id: z.string().check(z.minLength(1), z.maxLength(100)),
      /** The claim that names the end user. */
      user_claim: z._default(claimName(), 'sub'),
      /** A claim holding the models (names or globs) the user may call, narrowing the key's. */
      models_claim: z.optional(claimName()),
      /** A claim naming one of `tiers`. */
      tier_claim: z.optional(claimName()),
      /** Clock skew allowed on `exp` and `nbf`, in seconds. */
      clock_tolerance_seconds: z._default(z.int().check(z.minimum(0), z.maximum(300)), 5),
    })
    .check(
      z.refine((jwt) => (jwt.jwks_url === undefined) !== (jwt.jwks === undefined), {
        message: 'set exactly one of jwks_url and jwks',
      })
    )
)

export type JwtSettings = z.infer<ReturnType<typeof JwtSettingsSchema>>

export const EndUserSettingsSchema = lazy(() =>
  z.strictObject({
    /** Browser origins allowed to call the gateway for this tenant (CORS). */
    cors_origins: z.optional(OriginPatternsSchema()),
    jwt: z.optional(JwtSettingsSchema()),
    client_tokens: z.optional(
      z.strictObject({
        /** Bump to rotate the signing secret; tokens of the previous version stay valid until they expire. */
        signing_version: z._default(z.int().check(z.minimum(1), z.maximum(1_000_000)), 1),
        /** Revocation epoch: every client token issued before this ISO time is refused. */
        revoked_before: z.optional(z.iso.datetime({ offset: true })),
      })
    ),
    /** Every end user's default limits. */
    limits: z.optional(EndUserLimitsSchema()),
    /** Named limit sets, chosen by the JWT's tier claim or a client token's `tier`. */
    tiers: z.optional(z.record(claimName(), EndUserLimitsSchema())),
    /** Requests per minute per client IP (`cf-connecting-ip`) across all end users. */
    ip_requests_per_minute: z.optional(perMinute()),
  })
)

export type EndUserSettings = z.infer<ReturnType<typeof EndUserSettingsSchema>>
