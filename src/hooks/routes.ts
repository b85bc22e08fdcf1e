/**
 * @module
 * The routes of inbound hooks: `/v1/hooks` for the tenant to manage them (behind tenant auth, and
 * scoped to the key that created each hook, since deliveries run as that key: another key of the
 * tenant gets a 404), `/admin/tenants/:id/hooks` for the operator to see and stop any of them,
 * and the public `POST /hooks/{id}` senders deliver to, authenticated by nothing but the
 * delivery's own signature.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../deps'
import type { AppEnv, TenantEnv } from '../env'
import { GatewayError } from '../errors'
import { startBackgroundResponse } from '../ingress/responses/background'
import { readJsonBody } from '../lib/json-body'
import { validate } from '../lib/validate'
import { existingTenant } from '../routes/admin/tenants'
import { allowsEndpoint } from '../tenancy/scopes'
import { hookNotFound, receiveDelivery } from './deliver'
import { createHook, updateHook } from './manage'
import { CreateHookSchema, UpdateHookSchema } from './schema'
import { deleteHook, type HookRecord, listHooks, loadHook } from './store'

export const HOOKS_PATH = '/hooks'

export function hookRoutes(deps: GatewayDeps): Hono<TenantEnv> {
  const { redis } = deps
  async function owned(c: Context<TenantEnv>): Promise<HookRecord> {
    const id = c.req.param('id') ?? ''
    const hook = await loadHook(redis, c.var.tenant.id, id)
    if (!hook || hook.key_id !== c.var.apiKey.id) throw hookNotFound(id)
    return hook
  }
  return new Hono<TenantEnv>()
    .post('/', async (c) => {
      const input = validate(CreateHookSchema(), await readJsonBody(c))
      // Deliveries run as this key through the Responses API: it must be allowed there.
      if (!allowsEndpoint(c.var.apiKey, '/v1/responses')) {
        throw new GatewayError(403, 'This API key may not call /v1/responses, which hooks run.', {
          code: 'endpoint_not_allowed',
        })
      }
      const { record, secret } = await createHook(
        deps,
        { tenantId: c.var.tenant.id, keyId: c.var.apiKey.id },
        input
      )
      return c.json({ ...hookView(origin(c), record), secret }, 201, {
        'cache-control': 'no-store',
      })
    })
    .get('/', async (c) => {
      const hooks = await listHooks(redis, c.var.tenant.id)
      const own = hooks.filter((hook) => hook.key_id === c.var.apiKey.id)
      return c.json({ object: 'list', data: own.map((hook) => hookView(origin(c), hook)) })
    })
    .get('/:id', async (c) => c.json(hookView(origin(c), await owned(c))))
    .post('/:id', async (c) => {
      const hook = await owned(c)
      const input = validate(UpdateHookSchema(), await readJsonBody(c))
      return c.json(hookView(origin(c), await updateHook(deps, c.var.tenant.id, hook, input)))
    })
    .delete('/:id', async (c) => {
      const hook = await owned(c)
      await deleteHook(redis, c.var.tenant.id, hook.id)
      return c.json(deleted(hook))
    })
}

/** Mounted under /admin/tenants/:id/hooks: every hook of the tenant, whichever key created it. */
export function adminHookRoutes(deps: GatewayDeps): Hono<AppEnv> {
  const { redis } = deps
  const tenantOf = async (c: Context<AppEnv>) =>
    (await existingTenant(c, c.req.param('id') ?? '')).id
  async function found(c: Context<AppEnv>): Promise<{ tenantId: string; hook: HookRecord }> {
    const tenantId = await tenantOf(c)
    const id = c.req.param('hook') ?? ''
    const hook = await loadHook(redis, tenantId, id)
    if (!hook) throw hookNotFound(id)
    return { tenantId, hook }
  }
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const hooks = await listHooks(redis, await tenantOf(c))
      return c.json({ object: 'list', data: hooks.map((hook) => adminView(origin(c), hook)) })
    })
    .get('/:hook', async (c) => c.json(adminView(origin(c), (await found(c)).hook)))
    .post('/:hook', async (c) => {
      const { tenantId, hook } = await found(c)
      const input = validate(UpdateHookSchema(), await readJsonBody(c))
      return c.json(adminView(origin(c), await updateHook(deps, tenantId, hook, input)))
    })
    .delete('/:hook', async (c) => {
      const { tenantId, hook } = await found(c)
      await deleteHook(redis, tenantId, hook.id)
      return c.json(deleted(hook))
    })
}

/** `POST /hooks/{id}`, mounted outside tenant auth. */
export function hookDeliveryRoutes(deps: GatewayDeps): Hono<AppEnv> {
  const delivery = {
    redis: deps.redis,
    config: deps.config,
    clock: deps.clock,
    start: startBackgroundResponse.bind(null, deps),
  }
  return new Hono<AppEnv>().post('/:id', async (c) => {
    const outcome = await receiveDelivery(delivery, {
      hookId: c.req.param('id'),
      headers: c.req.raw.headers,
      body: c.req.raw.body,
    })
    if (outcome.kind === 'challenge') return c.json({ challenge: outcome.challenge })
    return c.json(
      {
        id: outcome.responseId,
        object: 'hook.delivery',
        hook_id: outcome.hookId,
        status: 'queued',
      },
      202
    )
  })
}

const origin = (c: Context) => new URL(c.req.url).origin

const deleted = (hook: HookRecord) => ({ id: hook.id, object: 'hook', deleted: true })

/** The operator also sees which key a hook runs as. */
const adminView = (origin: string, hook: HookRecord) => ({
  ...hookView(origin, hook),
  key_id: hook.key_id,
})

/** Never the secret: it is shown once, in the answer to the create. */
function hookView(origin: string, hook: HookRecord) {
  return {
    id: hook.id,
    object: 'hook',
    url: `${origin}${HOOKS_PATH}/${hook.id}`,
    name: hook.name,
    verifier: hook.verifier,
    template: hook.template,
    instructions: hook.instructions,
    model: hook.model,
    max_output_tokens: hook.max_output_tokens,
    temperature: hook.temperature,
    enabled: hook.enabled,
    tolerance_seconds: hook.tolerance_seconds,
    created_at: hook.created_at,
    updated_at: hook.updated_at,
  }
}
