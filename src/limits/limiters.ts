/**
 * @module
 * `@upstash/ratelimit` instances, built at module scope and kept per limit configuration so their
 * ephemeral caches live as long as the isolate. Fixed one-minute windows: the counter is one
 * atomic INCRBY, so N concurrent requests against a limit of L admit exactly min(N, L), and the
 * window end is a precise `reset` for the OpenAI headers.
 */
import { Ratelimit } from '@upstash/ratelimit'
import type { Redis } from '@upstash/redis/cloudflare'
import { RATELIMIT_PREFIX } from '../stores/keyspace'
import { REDIS_TIMEOUT_MS } from '../stores/redis'

export const WINDOW_MS = 60_000

export type LimitKind = 'requests' | 'tokens'

const instances = new Map<string, Ratelimit>()

export function fixedWindowLimiter(
  redis: Redis,
  redisCacheKey: string,
  kind: LimitKind,
  limit: number
): Ratelimit {
  const cacheKey = `${redisCacheKey} ${kind} ${limit}`
  let limiter = instances.get(cacheKey)
  if (!limiter) {
    limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(limit, `${WINDOW_MS} ms`),
      prefix: RATELIMIT_PREFIX,
      // The ephemeral cache remembers a denied identifier until its window ends. Right for
      // requests; for tokens a large request's denial must not block smaller ones.
      ephemeralCache: kind === 'requests' ? new Map() : false,
      timeout: REDIS_TIMEOUT_MS,
      analytics: false,
      enableTelemetry: false,
    })
    instances.set(cacheKey, limiter)
  }
  return limiter
}

export function windowOf(time: number): number {
  return Math.floor(time / WINDOW_MS)
}
