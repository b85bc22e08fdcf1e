/**
 * @module
 * What the dashboard (src/dashboard/, served as static assets at /admin/dashboard) reads, under
 * /admin/metrics behind the admin token: metrics over time, recent failures and budget burn, per
 * tenant or across tenants.
 */
import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import type { GatewayDeps } from '../deps'
import type { AppEnv } from '../env'
import { lazy } from '../lib/lazy'
import { validate } from '../lib/validate'
import { existingTenant } from '../routes/admin/tenants'
import { listTenants } from '../tenancy/tenants'
import { budgetBurn } from './budgets'
import { FAILURES_KEPT, recentFailures } from './failures'
import { numeric } from './feedback'
import { metricsSeries, SeriesQuerySchema } from './series'

const tenantParam = lazy(() => z.optional(z.string().check(z.minLength(1), z.maxLength(128))))

export const FailuresQuerySchema = lazy(() =>
  z.strictObject({
    tenant: tenantParam(),
    limit: z.optional(z.pipe(numeric(), z.int().check(z.minimum(1), z.maximum(FAILURES_KEPT)))),
  })
)

export const BudgetsQuerySchema = lazy(() => z.strictObject({ tenant: tenantParam() }))

export function dashboardApiRoutes({
  redis,
  clock,
}: Pick<GatewayDeps, 'redis' | 'clock'>): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/series', async (c) => {
      const query = validate(SeriesQuerySchema(), c.req.query())
      if (query.tenant) await existingTenant(c, query.tenant)
      return c.json(await metricsSeries(redis, query, clock()))
    })
    .get('/failures', async (c) => {
      const query = validate(FailuresQuerySchema(), c.req.query())
      if (query.tenant) await existingTenant(c, query.tenant)
      const data = await recentFailures(redis, query.tenant, query.limit ?? 20)
      return c.json({ object: 'list', data })
    })
    .get('/budgets', async (c) => {
      const query = validate(BudgetsQuerySchema(), c.req.query())
      const tenants = query.tenant
        ? [await existingTenant(c, query.tenant)]
        : await listTenants(redis)
      return c.json(await budgetBurn(redis, tenants, clock()))
    })
}
