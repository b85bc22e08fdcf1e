/**
 * @module
 * `@upstash/ratelimit` instances, one per limit configuration for the isolate's lifetime, so their
 * ephemeral caches live as long as the isolate. Fixed one-minute windows: the counter is one
 * atomic INCRBY, so N concurrent requests against a limit of L admit exactly min(N, L), and the
 * window end is a precise `reset` for the OpenAI headers.
 */
import { Ratelimit } from '@upstash/ratelimit'
import type { Redis } from '@upstash/redis/cloudflare'
import { RATELIMIT_PREFIX } from '../upstash/keyspace'
import { REDIS_TIMEOUT_MS } from '../upstash/redis'

export const WINDOW_MS = 60_000

export type LimitKind = 'requests' | 'tokens'

export type Limiters = (kind: LimitKind, limit: number) => Ratelimit

export function createLimiters(redis: Redis): Limiters {
  const instances = new Map<string, Ratelimit>()
  return function limiter(kind, limit) {
    const id = `${kind} ${limit}`
    let instance = instances.get(id)
    if (!instance) {
      instance = new Ratelimit({
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
      instances.set(id, instance)
    }
    return instance
  }
}

export function windowOf(time: number): number {
  return Math.floor(time / WINDOW_MS)
}
