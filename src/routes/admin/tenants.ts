import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../../deps'
import type { AppEnv } from '../../env'
import { GatewayError } from '../../errors'
import { randomBase64Url } from '../../lib/crypto'
import { readJsonBody } from '../../lib/json-body'
import { validate } from '../../lib/validate'
import { UsageQuerySchema, usageReport } from '../../metering/report'
import { patchedConfig, storedConfig } from '../../tenancy/config-updates'
import { eraseTenant } from '../../tenancy/erasure'
import { forgetTenant } from '../../tenancy/key-cache'
import type { TenantRecord } from '../../tenancy/records'
import { CreateTenantSchema, UpdateTenantSchema } from '../../tenancy/schema'
import { getTenant, listTenants, putTenant } from '../../tenancy/tenants'
import { getRedis } from '../../upstash/redis'
import { tenantView } from './views'

export function tenantRoutes({ erasers }: GatewayDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .post('/', async (c) => {
      const input = validate(CreateTenantSchema(), await readJsonBody(c, { optional: true }))
      const id = `tn_${randomBase64Url(12)}`
      const now = new Date().toISOString()
      const record: TenantRecord = {
        id,
        name: input.name,
        config: await storedConfig(c.var.config, id, input.config),
        created_at: now,
        updated_at: now,
      }
      await putTenant(getRedis(c.var.config), record)
      return c.json(tenantView(record), 201)
    })
    .get('/', async (c) => {
      const tenants = await listTenants(getRedis(c.var.config))
      return c.json({ object: 'list', data: tenants.map(tenantView) })
    })
    .get('/:id', async (c) => c.json(tenantView(await existingTenant(c, c.req.param('id')))))
    .patch('/:id', async (c) => {
      const current = await existingTenant(c, c.req.param('id'))
      const patch = validate(UpdateTenantSchema(), await readJsonBody(c, { optional: true }))
      const record: TenantRecord = {
        ...current,
        name: patch.name ?? current.name,
        config: patch.config
          ? await patchedConfig(c.var.config, current.id, current.config, patch.config)
          : current.config,
        updated_at: new Date().toISOString(),
      }
      await putTenant(getRedis(c.var.config), record)
      forgetTenant(record.id)
      return c.json(tenantView(record))
    })
    .delete('/:id', async (c) => {
      const tenant = await existingTenant(c, c.req.param('id'))
      const removed = await eraseTenant(getRedis(c.var.config), tenant.id, erasers)
      return c.json({ id: tenant.id, object: 'tenant.deleted', deleted: true, removed })
    })
    .get('/:id/usage', async (c) => {
      const tenant = await existingTenant(c, c.req.param('id'))
      const query = validate(UsageQuerySchema(), c.req.query())
      return c.json(await usageReport(getRedis(c.var.config), tenant.id, query))
    })
}

export async function existingTenant(c: Context<AppEnv>, id: string): Promise<TenantRecord> {
  const tenant = await getTenant(getRedis(c.var.config), id)
  if (!tenant) throw new GatewayError(404, `No tenant with id ${id}.`, { code: 'tenant_not_found' })
  return tenant
}
