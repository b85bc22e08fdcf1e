/**
 * @module
 * The endpoint API, one set of routes mounted twice: under /v1/webhooks for the tenant's own key,
 * and under /admin/tenants/:id/webhooks for the operator. Only the create and rotate answers
 * carry a secret.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../deps'
import type { AppEnv, TenantEnv } from '../env'
import { GatewayError } from '../errors'
import { readJsonBody } from '../lib/json-body'
import { validate } from '../lib/validate'
import { existingTenant } from '../routes/admin/tenants'
import { AttemptsQuerySchema, listAttempts, restartDelivery } from './delivery-log'
import {
  CreateEndpointSchema,
  type EndpointRecord,
  endpointView,
  RotateSecretSchema,
  UpdateEndpointSchema,
} from './endpoints'
import { findMessage } from './messages'

type Deps = Pick<GatewayDeps, 'redis' | 'jobs' | 'webhooks' | 'clock' | 'config'>

function endpointRoutes<E extends AppEnv>(
  deps: Deps,
  tenantOf: (c: Context<E>) => Promise<string> | string
): Hono<E> {
  const { redis, jobs, webhooks: store, clock } = deps
  const endpointId = (c: Context<E>) => c.req.param('endpointId') ?? ''
  const view = async (tenantId: string, record: EndpointRecord) =>
    endpointView(record, (await store.failureStreaks(tenantId))[record.id] ?? 0, clock())

  return new Hono<E>()
    .post('/', async (c) => {
      const tenantId = await tenantOf(c)
      const input = validate(CreateEndpointSchema(), await readJsonBody(c))
      const { record, secret } = await store.create(tenantId, input)
      return c.json({ ...(await view(tenantId, record)), secret }, 201, {
        'cache-control': 'no-store',
      })
    })
    .get('/', async (c) => {
      const tenantId = await tenantOf(c)
      const [records, streaks] = await Promise.all([
        store.list(tenantId),
        store.failureStreaks(tenantId),
      ])
      const now = clock()
      return c.json({
        object: 'list',
        data: records.map((record) => endpointView(record, streaks[record.id] ?? 0, now)),
      })
    })
    .get('/:endpointId', async (c) => {
      const tenantId = await tenantOf(c)
      return c.json(await view(tenantId, await store.get(tenantId, endpointId(c))))
    })
    .patch('/:endpointId', async (c) => {
      const tenantId = await tenantOf(c)
      const input = validate(UpdateEndpointSchema(), await readJsonBody(c))
      return c.json(await view(tenantId, await store.update(tenantId, endpointId(c), input)))
    })
    .delete('/:endpointId', async (c) => {
      const tenantId = await tenantOf(c)
      await store.remove(tenantId, endpointId(c))
      return c.json({ id: endpointId(c), object: 'webhook_endpoint.deleted', deleted: true })
    })
    .post('/:endpointId/rotate', async (c) => {
      const tenantId = await tenantOf(c)
      const input = validate(RotateSecretSchema(), await readJsonBody(c, { optional: true }))
      const grace = input.grace_seconds ?? deps.config.webhooks.rotationGraceSeconds
      const rotated = await store.rotate(tenantId, endpointId(c), grace)
      return c.json(
        {
          ...(await view(tenantId, rotated.record)),
          secret: rotated.secret,
          previous_secret_valid_until: rotated.previousValidUntil,
        },
        200,
        { 'cache-control': 'no-store' }
      )
    })
    .get('/:endpointId/deliveries', async (c) => {
      const tenantId = await tenantOf(c)
      const page = validate(AttemptsQuerySchema(), c.req.query())
      const endpoint = await store.get(tenantId, endpointId(c))
      return c.json({ object: 'list', ...(await listAttempts(redis, tenantId, endpoint.id, page)) })
    })
    .post('/:endpointId/deliveries/:messageId/replay', async (c) => {
      const tenantId = await tenantOf(c)
      const messageId = c.req.param('messageId') ?? ''
      const [endpoint, message] = await Promise.all([
        store.get(tenantId, endpointId(c)),
        findMessage(redis, tenantId, messageId),
      ])
      if (!message) {
        throw new GatewayError(404, `No webhook message ${messageId}, or it has expired.`, {
          code: 'webhook_message_not_found',
        })
      }
      if (!endpoint.enabled) {
        throw new GatewayError(409, 'The endpoint is disabled: enable it before replaying.', {
          code: 'webhook_endpoint_disabled',
        })
      }
      if (!(await restartDelivery(redis, tenantId, endpoint.id, message.id))) {
        throw new GatewayError(
          409,
          'This delivery is still being retried; replay it once it ends.',
          {
            code: 'webhook_delivery_pending',
          }
        )
      }
      await jobs.send({ kind: 'delivery', tenantId, endpointId: endpoint.id, messageId })
      return c.json(
        { object: 'webhook_replay', endpoint_id: endpoint.id, message_id: messageId, queued: true },
        202
      )
    })
}

/** Mounted at /v1/webhooks/endpoints: the calling tenant's endpoints, with its own key. */
export function tenantWebhookRoutes(deps: Deps): Hono<TenantEnv> {
  // End-user credentials never get here: src/end-users/auth.ts refuses them outside their routes.
  return endpointRoutes<TenantEnv>(deps, (c) => c.var.tenant.id)
}

/** Mounted at /admin/tenants/:id/webhooks/endpoints. */
export function adminWebhookRoutes(deps: Deps): Hono<AppEnv> {
  return endpointRoutes<AppEnv>(
    deps,
    async (c) => (await existingTenant(c, c.req.param('id') ?? '')).id
  )
}
