import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { TenantEnv } from '../../env'
import { modelNotFound } from '../../errors'
import {
  ANTHROPIC_VERSION_HEADER,
  anthropicModel,
  anthropicModelList,
} from '../../ingress/anthropic/models'
import { providerRegistry } from '../../providers/registry'
import { modelCatalog } from '../../routing/catalog'
import { allowsModel } from '../../tenancy/scopes'

type ModelObject = { id: string; object: 'model'; created: number; owned_by: string }

/** The catalog's models this caller's key and tenant may use (a model counts if any target does). */
function visibleModels(c: Context<TenantEnv>): ModelObject[] {
  const { config, tenant, apiKey } = c.var
  const registry = providerRegistry(config)
  return modelCatalog(config)
    .models.filter((model) =>
      model.targets.some(
        (target) => registry.has(target.provider) && allowsModel(tenant, apiKey, target)
      )
    )
    .map((model) => ({
      id: model.name,
      object: 'model' as const,
      created: 0,
      owned_by: model.targets[0]?.provider ?? 'gateway',
    }))
}

export const modelsRoutes = new Hono<TenantEnv>()
  .get('/models', (c) => {
    const data = visibleModels(c)
    if (c.req.header(ANTHROPIC_VERSION_HEADER)) return c.json(anthropicModelList(data))
    return c.json({ object: 'list' as const, data })
  })
  // Names may hold a slash (`provider/model`), which clients send encoded or not.
  .get('/models/:id{.+}', (c) => {
    const id = c.req.param('id')
    const model = visibleModels(c).find((candidate) => candidate.id === id)
    if (!model) throw modelNotFound(id)
    return c.json(c.req.header(ANTHROPIC_VERSION_HEADER) ? anthropicModel(model) : model)
  })
