import { Hono } from 'hono/tiny'
import { purgeTenantCache } from '../../cache/purge'
import type { GatewayDeps } from '../../deps'
import type { TenantEnv } from '../../env'

/** `DELETE /v1/cache`: the calling tenant's own cached answers, exact and semantic. */
export function cacheRoutes({ redis, vector }: GatewayDeps): Hono<TenantEnv> {
  return new Hono<TenantEnv>().delete('/', async (c) =>
    c.json(await purgeTenantCache(redis, vector, c.var.tenant.id))
  )
}
