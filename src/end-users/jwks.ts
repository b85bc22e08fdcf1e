/**
 * @module
 * Tenants' identity-provider key sets, cached in the isolate and in Redis with a TTL, so a JWT from
 * a warm isolate is verified with no round trip and a cold isolate reads Redis before it fetches
 * the identity provider. A `kid` the set lacks triggers one refetch, at most once per cooldown per
 * isolate (an attacker's made-up `kid`s cannot turn into a fetch per request). The URL passes the
 * SSRF guard on every fetch, redirects are not followed, and the answer is size- and time-bounded.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { JSONWebKeySet } from 'jose'
import { JWKSNoMatchingKey } from 'jose/errors'
import { createLocalJWKSet } from 'jose/jwks/local'
import type { JWTVerifyGetKey } from 'jose/jwt/verify'
import { GatewayError } from '../errors'
import { readLimitedBytes } from '../lib/json-body'
import { type UpstreamUrlPolicy, unsafeUpstreamReason } from '../lib/ssrf'
import { jwksCache } from '../upstash/keyspace'

export const JWKS_MAX_AGE_MS = 10 * 60_000
export const JWKS_COOLDOWN_MS = 30_000
const JWKS_TIMEOUT_MS = 5_000
const JWKS_MAX_BYTES = 64 * 1024
const MAX_SETS = 1_000

type CachedSet = {
  url: string
  resolve: JWTVerifyGetKey
  fetchedAt: number
  /** When this isolate last went to Redis or the provider for this set. */
  refreshedAt: number
  /** Kept past its age because the provider was down: not asked again before this. */
  retryAt?: number
}

const sets = new Map<string, CachedSet>()
const inline = new WeakMap<object, JWTVerifyGetKey>()

export type JwksSource = {
  redis: Redis
  tenantId: string
  policy: UpstreamUrlPolicy
  waitUntil(work: Promise<unknown>): void
  report(what: string, error: unknown): void
}

/** A key resolver for an inline key set, built once per config object. */
export function inlineKeys(jwks: JSONWebKeySet): JWTVerifyGetKey {
  let resolve = inline.get(jwks)
  if (!resolve) {
    resolve = localKeys(jwks)
    inline.set(jwks, resolve)
  }
  return resolve
}

/** A key resolver for a JWKS URL: cached set first, one refetch on an unknown `kid`. */
export function remoteKeys(source: JwksSource, url: string): JWTVerifyGetKey {
  return async (header, token) => {
    const now = Date.now()
    let set = sets.get(source.tenantId)
    const expired = set && now - set.fetchedAt > JWKS_MAX_AGE_MS && now >= (set.retryAt ?? 0)
    if (!set || set.url !== url || expired) {
      set = await load(source, url, now, set?.url === url ? set : undefined)
    }
    try {
      return await set.resolve(header, token)
    } catch (error) {
      if (!(error instanceof JWKSNoMatchingKey) || now - set.refreshedAt < JWKS_COOLDOWN_MS) {
        throw error
      }
      // Before the fetch, so made-up kids during an outage cost one fetch per cooldown.
      set.refreshedAt = now
      const fresh = await fetchAndStore(source, url, now)
      return fresh.resolve(header, token)
    }
  }
}

/** Redis first (another isolate may have fetched it), the identity provider otherwise. */
async function load(
  source: JwksSource,
  url: string,
  now: number,
  stale: CachedSet | undefined
): Promise<CachedSet> {
  try {
    const stored = await source.redis.get<{ url: string; jwks: JSONWebKeySet; fetched_at: number }>(
      jwksCache(source.tenantId)
    )
    if (stored && stored.url === url && now - stored.fetched_at <= JWKS_MAX_AGE_MS) {
      return remember(source.tenantId, url, stored.jwks, stored.fetched_at, now)
    }
  } catch (error) {
    source.report('jwks cache read', error)
  }
  try {
    return await fetchAndStore(source, url, now)
  } catch (error) {
    // The identity provider is down: the set it last published still verifies its tokens.
    if (stale) {
      stale.retryAt = now + JWKS_COOLDOWN_MS
      return stale
    }
    throw error
  }
}

async function fetchAndStore(source: JwksSource, url: string, now: number): Promise<CachedSet> {
  const jwks = await fetchKeySet(url, source.policy)
  const set = remember(source.tenantId, url, jwks, now, now)
  source.waitUntil(
    source.redis
      .set(jwksCache(source.tenantId), { url, jwks, fetched_at: now }, { px: JWKS_MAX_AGE_MS })
      .catch((error) => source.report('jwks cache write', error))
  )
  return set
}

function remember(
  tenantId: string,
  url: string,
  jwks: JSONWebKeySet,
  fetchedAt: number,
  now: number
): CachedSet {
  const set = { url, resolve: localKeys(jwks), fetchedAt, refreshedAt: now }
  if (sets.size >= MAX_SETS && !sets.has(tenantId)) {
    const oldest = sets.keys().next()
    if (!oldest.done) sets.delete(oldest.value)
  }
  sets.set(tenantId, set)
  return set
}

function localKeys(jwks: JSONWebKeySet): JWTVerifyGetKey {
  try {
    return createLocalJWKSet(jwks)
  } catch {
    throw unavailable('The identity provider published a malformed key set.')
  }
}

async function fetchKeySet(url: string, policy: UpstreamUrlPolicy): Promise<JSONWebKeySet> {
  const reason = unsafeUpstreamReason(url, policy)
  if (reason) throw unavailable(`The JWKS URL ${reason}.`)
  let response: Response
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
    })
  } catch {
    throw unavailable('The identity provider could not be reached for its key set.')
  }
  if (response.status !== 200) {
    await response.body?.cancel()
    throw unavailable(`The identity provider answered ${response.status} for its key set.`)
  }
  let bytes: Uint8Array
  try {
    // Counted while reading, and inside the timeout: a slow or endless body is an outage too.
    bytes = await readLimitedBytes(response.body, JWKS_MAX_BYTES)
  } catch (error) {
    throw unavailable(
      error instanceof GatewayError
        ? 'The key set is too large.'
        : 'The identity provider did not finish sending its key set.'
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw unavailable('The identity provider published a malformed key set.')
  }
  if (!isKeySet(parsed)) throw unavailable('The identity provider published a malformed key set.')
  return parsed
}

export function isKeySet(value: unknown): value is JSONWebKeySet {
  return (
    typeof value === 'object' &&
    value !== null &&
    'keys' in value &&
    Array.isArray(value.keys) &&
    value.keys.every((key: unknown) => typeof key === 'object' && key !== null)
  )
}

function unavailable(message: string): GatewayError {
  return new GatewayError(503, message, {
    code: 'jwks_unavailable',
    headers: { 'retry-after': '5' },
  })
}
