import { Hono } from 'hono/tiny'
import type { TenantEnv } from '../../env'
import { validate } from '../../lib/validate'
import { UsageQuerySchema, usageReport } from '../../metering/report'
import { getRedis } from '../../upstash/redis'

/** `GET /v1/usage`: the calling tenant's own usage, never another's; same query as the admin API. */
export const usageRoutes = new Hono<TenantEnv>().get('/usage', async (c) => {
  const query = validate(UsageQuerySchema(), c.req.query())
  return c.json(await usageReport(getRedis(c.var.config), c.var.tenant.id, query))
})
