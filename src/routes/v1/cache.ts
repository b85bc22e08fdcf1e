import { Hono } from 'hono/tiny'
import { purgeTenantCache } from '../../cache/purge'
import type { AppEnv } from '../../env'

/** `DELETE /v1/cache`: the calling tenant's own cached answers, exact and semantic. */
export const cacheRoutes = new Hono<AppEnv>().delete('/', async (c) =>
  c.json(await purgeTenantCache(c, c.var.tenant.id))
)
