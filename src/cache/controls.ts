/**
 * @module
 * What one request asks of the cache: `Cache-Control: no-cache` (answer fresh, then store: REFRESH)
 * or `no-store` (leave the cache alone: BYPASS), a TTL within the tenant's maximum and a
 * similarity threshold within the tenant's bounds. A value out of bounds is refused, not clamped:
 * the caller should learn that its setting did not apply.
 */
import { GatewayError } from '../errors'
import type { CacheSettings } from './settings'

export const TTL_HEADER = 'x-gateway-cache-ttl'
export const THRESHOLD_HEADER = 'x-gateway-cache-threshold'

export type CacheControls = {
  lookup: boolean
  store: boolean
  ttlSeconds: number
  threshold: number
}

export function cacheControls(headers: Headers, settings: CacheSettings): CacheControls {
  const directives = (headers.get('cache-control') ?? '')
    .toLowerCase()
    .split(',')
    .map((directive) => directive.trim())
  const noStore = directives.includes('no-store')
  const { semantic } = settings
  return {
    lookup: !noStore && !directives.includes('no-cache'),
    store: !noStore,
    ttlSeconds: bounded(headers, TTL_HEADER, settings.ttlSeconds, 1, settings.maxTtlSeconds, true),
    threshold: bounded(
      headers,
      THRESHOLD_HEADER,
      semantic.threshold,
      semantic.minThreshold,
      semantic.maxThreshold,
      false
    ),
  }
}

function bounded(
  headers: Headers,
  name: string,
  fallback: number,
  min: number,
  max: number,
  integer: boolean
): number {
  const raw = headers.get(name)
  if (raw === null) return fallback
  const value = Number(raw.trim())
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw badHeader(name, `must be ${integer ? 'a whole number of seconds' : 'a number'}`)
  }
  if (value < min || value > max) throw badHeader(name, `must be between ${min} and ${max}`)
  return value
}

function badHeader(name: string, problem: string): GatewayError {
  return new GatewayError(400, `Invalid ${name} header: ${problem} for this tenant.`, {
    param: name,
    code: 'invalid_cache_header',
  })
}
