/**
 * @module
 * The routes of inbound hooks: `/v1/hooks` for the tenant to manage them (behind tenant auth, and
 * scoped to the key that created each hook, since deliveries run as that key: another key of the
 * tenant gets a 404), and the public `POST /hooks/{id}` senders deliver to, authenticated by
 * nothing but the delivery's own signature.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../deps'
import type { AppEnv, TenantEnv } from '../env'
import { GatewayError } from '../errors'
import { startBackgroundResponse } from '../ingress/responses/background'
import { readJsonBody } from '../lib/json-body'
import { validate } from '../lib/validate'
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
      return c.json({ ...hookView(c, record), secret }, 201, { 'cache-control': 'no-store' })
    })
    .get('/', async (c) => {
      const hooks = await listHooks(redis, c.var.tenant.id)
      const own = hooks.filter((hook) => hook.key_id === c.var.apiKey.id)
      return c.json({ object: 'list', data: own.map((hook) => hookView(c, hook)) })
    })
    .get('/:id', async (c) => c.json(hookView(c, await owned(c))))
    .post('/:id', async (c) => {
      const hook = await owned(c)
      const input = validate(UpdateHookSchema(), await readJsonBody(c))
      return c.json(hookView(c, await updateHook(deps, c.var.tenant.id, hook, input)))
    })
    .delete('/:id', async (c) => {
      const hook = await owned(c)
      await deleteHook(redis, c.var.tenant.id, hook.id)
      return c.json({ id: hook.id, object: 'hook', deleted: true })
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

/** Never the secret: it is shown once, in the answer to the create. */
function hookView(c: Context<TenantEnv>, hook: HookRecord) {
  return {
    id: hook.id,
    object: 'hook',
    url: `${new URL(c.req.url).origin}${HOOKS_PATH}/${hook.id}`,
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
