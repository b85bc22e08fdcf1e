/**
 * @module
 * Recent failures, for the dashboard: each failed request's log line, cut to its outcome (ids,
 * status, error, target, timings; never text), pushed onto a capped list of its tenant and one
 * across tenants, in the after-response write batch. The full line stays in the kept record and
 * in Workers Logs.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { TenantEraser } from '../tenant-eraser'
import { RECENT_FAILURES, tenantFailures } from '../upstash/keyspace'
import type { WriteBatch } from '../upstash/write-batch'
import { type FailureSummary, SUMMARY_FIELDS } from './dashboard-types'

/** Enough for a screen of recent trouble; older failures are in the logs. */
export const FAILURES_KEPT = 100

export function failureSummary(line: Record<string, unknown>): FailureSummary {
  const summary: FailureSummary = {}
  for (const field of SUMMARY_FIELDS) {
    if (line[field] !== undefined) summary[field] = line[field]
  }
  return summary
}

export function keepFailure(
  redis: Pick<Redis, 'lpush' | 'ltrim' | 'expire'>,
  writes: WriteBatch,
  tenantId: string,
  summary: FailureSummary,
  ttlSeconds: number
): Promise<void> {
  const item = JSON.stringify(summary)
  const own = tenantFailures(tenantId)
  return writes.write('recent failure', () =>
    Promise.all([
      redis.lpush(own, item),
      redis.ltrim(own, 0, FAILURES_KEPT - 1),
      redis.expire(own, ttlSeconds),
      redis.lpush(RECENT_FAILURES, item),
      redis.ltrim(RECENT_FAILURES, 0, FAILURES_KEPT - 1),
    ])
  )
}

/** Newest first; one tenant's, or every tenant's when `tenantId` is undefined. */
export async function recentFailures(
  redis: Pick<Redis, 'lrange'>,
  tenantId: string | undefined,
  limit: number
): Promise<FailureSummary[]> {
  const items = await redis.lrange<unknown>(
    tenantId ? tenantFailures(tenantId) : RECENT_FAILURES,
    0,
    limit - 1
  )
  return items.filter(isSummary)
}

/** The client parses JSON items itself (automatic deserialization); anything else is skipped. */
function isSummary(item: unknown): item is FailureSummary {
  return typeof item === 'object' && item !== null && !Array.isArray(item)
}

/** The cross-tenant list names tenants, so an erasure takes a tenant's entries out of it. */
export function failuresEraser(redis: Pick<Redis, 'lrange' | 'lrem'>): TenantEraser {
  return {
    name: 'recent_failures',
    async erase(tenantId) {
      const items = await redis.lrange<unknown>(RECENT_FAILURES, 0, -1)
      const own = items.filter((item) => isSummary(item) && item.tenant_id === tenantId)
      // Stored as JSON.stringify wrote them, so parsing and writing again gives the same text.
      const removed = await Promise.all(
        own.map((item) => redis.lrem(RECENT_FAILURES, 0, JSON.stringify(item)))
      )
      return removed.reduce((sum, count) => sum + count, 0)
    },
  }
}
