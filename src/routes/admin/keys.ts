import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../../env'
import { GatewayError } from '../../errors'
import { readJsonBody } from '../../lib/json-body'
import { validate } from '../../lib/validate'
import { forgetSecrets } from '../../tenancy/key-cache'
import {
  createKey,
  findKey,
  listKeys,
  liveSecretHashes,
  revokeKey,
  rotateKey,
} from '../../tenancy/keys'
import type { KeyRecord } from '../../tenancy/records'
import { CreateKeySchema, RotateKeySchema } from '../../tenancy/schema'
import { dependencyUnavailable } from '../../upstash/dependency'
import { getRedis } from '../../upstash/redis'
import { existingTenant } from './tenants'
import { keyView } from './views'

/** Mounted under /tenants/:id/keys. */
export const tenantKeyRoutes = new Hono<AppEnv>()
  .post('/', async (c) => {
    const tenant = await existingTenant(c, tenantIdParam(c))
    const input = validate(CreateKeySchema(), await readJsonBody(c, { optional: true }))
    if (input.expires_at && Date.parse(input.expires_at) <= Date.now()) {
      throw new GatewayError(400, 'Invalid expires_at: must be in the future.', {
        param: 'expires_at',
        code: 'invalid_request',
      })
    }
    const { record, secret } = await createKey(getRedis(c.var.config), tenant.id, input)
    return c.json({ ...keyView(record), secret }, 201)
  })
  .get('/', async (c) => {
    const tenant = await existingTenant(c, tenantIdParam(c))
    const keys = await listKeys(getRedis(c.var.config), tenant.id)
    return c.json({ object: 'list', data: keys.map(keyView) })
  })

/** Mounted under /keys: a key id is enough, the owning tenant is looked up. */
export const keyRoutes = new Hono<AppEnv>()
  .delete('/:keyId', async (c) => {
    try {
      const record = await existingKey(c)
      const revoked = record.revoked_at ? record : await revokeKey(getRedis(c.var.config), record)
      forgetSecrets(liveSecretHashes(record))
      return c.json(keyView(revoked))
    } catch (error) {
      // An admin revoking a leaked key must not read an outage as done.
      throw (
        dependencyUnavailable(
          error,
          'The key was NOT revoked: Redis is unavailable, and the key still works. Retry the revoke.'
        ) ?? error
      )
    }
  })
  .post('/:keyId/rotate', async (c) => {
    const record = await existingKey(c)
    if (record.revoked_at) {
      throw new GatewayError(409, 'A revoked key cannot be rotated.', { code: 'key_revoked' })
    }
    const { grace_seconds } = validate(RotateKeySchema(), await readJsonBody(c, { optional: true }))
    const rotated = await rotateKey(getRedis(c.var.config), record, grace_seconds)
    forgetSecrets(liveSecretHashes(record))
    const graceUntil = rotated.record.retired.find(
      (r) => r.secret_hash === record.secret_hash
    )?.until
    return c.json({
      ...keyView(rotated.record),
      secret: rotated.secret,
      previous_secret_valid_until: graceUntil ?? null,
    })
  })

function tenantIdParam(c: Context<AppEnv>): string {
  const id = c.req.param('id')
  if (!id) throw new GatewayError(404, 'No tenant id in the path.', { code: 'tenant_not_found' })
  return id
}

async function existingKey(c: Context<AppEnv>): Promise<KeyRecord> {
  const keyId = c.req.param('keyId') ?? ''
  const record = await findKey(getRedis(c.var.config), keyId)
  if (!record)
    throw new GatewayError(404, `No API key with id ${keyId}.`, { code: 'key_not_found' })
  return record
}
