/**
 * @module
 * Every Redis key the tenancy, limits and metering code writes. Everything a tenant owns lives
 * under `gw:t:<tenantId>:` so erasing a tenant is one prefix scan; only the global indexes that
 * find a tenant from a secret or a key id sit outside it.
 */

/** All tenant records: tenantId -> JSON. */
export const TENANTS = 'gw:tenants'
/** keyId -> tenantId, so `/admin/keys/:keyId` finds its tenant. */
export const KEY_OWNERS = 'gw:key-owners'

export function secretIndex(secretHash: string): string {
  return `gw:secret:${secretHash}`
}

/**
 * Unfinished background responses of every tenant: `<tenantId> <responseId>` scored by the epoch
 * ms at which the sweeper re-enqueues it if nothing finished it (a lost message, a dead consumer).
 * Members of an erased tenant find no job and are dropped.
 */
export const BACKGROUND_DUE = 'gw:background:due'
/** Held while one isolate sweeps, so the sweep runs about once per interval across isolates. */
export const BACKGROUND_SWEEP = 'gw:background:sweep'

export function tenantPrefix(tenantId: string): string {
  return `gw:t:${tenantId}:`
}

/** keyId -> JSON key record. */
export function tenantKeys(tenantId: string): string {
  return `${tenantPrefix(tenantId)}keys`
}

/** keyId -> ISO time of the last authenticated use (written at most once per isolate cache). */
export function tenantKeysLastUsed(tenantId: string): string {
  return `${tenantPrefix(tenantId)}keys-last-used`
}

/** Rate-limit identifiers; `@upstash/ratelimit` appends `:<window>` under prefix `gw`. */
export const RATELIMIT_PREFIX = 'gw'

export function rateLimitIdentifier(tenantId: string, scope: string): string {
  return `t:${tenantId}:rl:${scope}`
}

export function inFlight(tenantId: string): string {
  return `${tenantPrefix(tenantId)}in-flight`
}

/** Budget counter in micro-USD: settled spend plus reservations in flight. */
export function monthlySpend(tenantId: string, month: string, keyId?: string): string {
  const base = `${tenantPrefix(tenantId)}spend:${month}`
  return keyId ? `${base}:key:${keyId}` : base
}

/** Usage hash for one UTC day: `<metric>|<keyId>|<model>` -> count. */
export function dailyUsage(tenantId: string, day: string): string {
  return `${tenantPrefix(tenantId)}usage:${day}`
}

/** Global index for CORS preflights, which carry no credential: tenantId -> JSON origin patterns. */
export const CORS_ORIGINS = 'gw:cors-origins'

/** A tenant's identity-provider key set as last fetched: JSON {url, jwks, fetched_at}. */
export function jwksCache(tenantId: string): string {
  return `${tenantPrefix(tenantId)}jwks`
}

/** An end user's spend in micro-USD for a UTC day (YYYY-MM-DD) or month (YYYY-MM). */
export function endUserSpend(tenantId: string, period: string, hashedUserId: string): string {
  return `${tenantPrefix(tenantId)}spend:${period}:user:${hashedUserId}`
}

/** End users' usage for one UTC day: `<metric>|<hashedUserId>|<model>` -> count. */
export function dailyEndUserUsage(tenantId: string, day: string): string {
  return `${tenantPrefix(tenantId)}usage-users:${day}`
}

/** Metrics hash of one UTC minute (`YYYYMMDDHHmm`) or hour (`YYYYMMDDHH`): `<series>|<provider>|<model>` -> value. */
export function metricsBucket(tenantId: string, period: string): string {
  return `${tenantPrefix(tenantId)}metrics:${period}`
}

/** The same fields since the tenant's first request: what `/metrics` exposes as counters. */
export function metricsTotal(tenantId: string): string {
  return `${tenantPrefix(tenantId)}metrics:total`
}

/** One request's record (its log line), kept for feedback to find and join: JSON. */
export function requestRecord(tenantId: string, requestId: string): string {
  return `${tenantPrefix(tenantId)}requests:${requestId}`
}

/** Feedback: a sorted set of request ids by time, and a hash of request id -> JSON. */
export function feedbackIndex(tenantId: string): string {
  return `${tenantPrefix(tenantId)}feedback`
}

export function feedbackItems(tenantId: string): string {
  return `${tenantPrefix(tenantId)}feedback:items`
}

/** Set once per alert and period (NX), so each isolate that sees the condition does not repeat it. */
export function alertRaised(tenantId: string, alert: string, period: string): string {
  return `${tenantPrefix(tenantId)}alerts:${alert}:${period}`
}
