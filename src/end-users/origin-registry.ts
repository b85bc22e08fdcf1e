/**
 * @module
 * Which browser origins some tenant allows, for CORS preflights: a browser sends its `OPTIONS`
 * preflight without the credential, so the tenant is not known yet. A gateway-wide index in Redis
 * (`gw:cors-origins`, tenantId -> that tenant's patterns, written with the tenant record) is read
 * whole into the isolate and reread at most every REFRESH_MS, or when an origin it does not know
 * arrives and the copy is older than MISS_REFRESH_MS (so a tenant's new origin works within
 * seconds, and unknown origins cannot make every preflight a Redis read). The real request is
 * then checked against its own tenant's (and token's) origins once authenticated.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { TenantEraser } from '../tenant-eraser'
import { CORS_ORIGINS } from '../upstash/keyspace'
import { matchesOrigin } from './origins'

const REFRESH_MS = 60_000
const MISS_REFRESH_MS = 5_000

export type OriginRegistry = {
  /** Whether any tenant allows this origin. */
  allows(origin: string): Promise<boolean>
}

export function createOriginRegistry({
  redis,
  report,
}: {
  redis: Redis
  report(what: string, error: unknown): void
}): OriginRegistry {
  let patterns: string[] = []
  let loadedAt = Number.NEGATIVE_INFINITY
  // When a read last failed: the next one waits MISS_REFRESH_MS, so an outage costs a preflight
  // one failed round trip per interval, not one each.
  let failedAt = Number.NEGATIVE_INFINITY
  let loading: Promise<void> | undefined

  function refresh(): Promise<void> {
    if (Date.now() - failedAt <= MISS_REFRESH_MS) return Promise.resolve()
    loading ??= redis
      .hgetall<Record<string, unknown>>(CORS_ORIGINS)
      .then((all) => {
        patterns = Object.values(all ?? {}).flatMap(patternList)
        loadedAt = Date.now()
      })
      // Redis down: the last copy keeps answering; an isolate that never read one allows nothing.
      .catch((error) => {
        failedAt = Date.now()
        report('cors origins', error)
      })
      .finally(() => {
        loading = undefined
      })
    return loading
  }

  return {
    async allows(origin) {
      const age = Date.now() - loadedAt
      if (age > REFRESH_MS) await refresh()
      if (matchesOrigin(patterns, origin)) return true
      if (Date.now() - loadedAt > MISS_REFRESH_MS) {
        await refresh()
        return matchesOrigin(patterns, origin)
      }
      return false
    },
  }
}

/** The index entry a tenant record's `end_users.cors_origins` gives (`undefined`: none). */
export function registryEntry(origins: string[] | undefined): string | undefined {
  return origins && origins.length > 0 ? JSON.stringify(origins) : undefined
}

export function originRegistryEraser(redis: Redis): TenantEraser {
  return {
    name: 'cors_origins',
    async erase(tenantId) {
      return redis.hdel(CORS_ORIGINS, tenantId)
    },
  }
}

function patternList(value: unknown): string[] {
  const list = typeof value === 'string' ? safeParse(value) : value
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : []
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
