import { Hono } from 'hono/tiny'
import { purgeTenantCache } from '../../cache/purge'
import type { GatewayDeps } from '../../deps'
import type { AppEnv } from '../../env'
import { existingTenant } from './tenants'

/** `DELETE /admin/tenants/:id/cache`: purge one tenant's cached answers. */
export function tenantCacheRoutes({ redis, vector }: GatewayDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().delete('/', async (c) => {
    const tenant = await existingTenant(c, c.req.param('id') ?? '')
    return c.json({ tenant_id: tenant.id, ...(await purgeTenantCache(redis, vector, tenant.id)) })
  })
}
