/**
 * @module
 * `GET /metrics`: the Prometheus scrape target, behind the admin token (the series name tenants
 * and their spend). Two round trips: the tenant ids, then every tenant's totals, pipelined.
 */
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../deps'
import type { AppEnv } from '../env'
import { adminAuth } from '../routes/admin/auth'
import { metricsTotal, TENANTS } from '../upstash/keyspace'
import { exposition } from './prometheus'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export function metricsRoutes(deps: Pick<GatewayDeps, 'redis'>): Hono<AppEnv> {
  const { redis } = deps
  return new Hono<AppEnv>().use('*', adminAuth()).get('/', async (c) => {
    const tenantIds = await redis.hkeys(TENANTS)
    const totals = await Promise.all(
      tenantIds.map(async (tenantId) => ({
        tenantId,
        fields: await redis.hgetall<Record<string, unknown>>(metricsTotal(tenantId)),
      }))
    )
    return c.body(exposition(totals), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE })
  })
}
