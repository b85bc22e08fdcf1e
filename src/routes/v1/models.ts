import { Hono } from 'hono/tiny'
import type { TenantEnv } from '../../env'
import { providerRegistry } from '../../providers/registry'
import { modelCatalog } from '../../routing/catalog'
import { allowsModel } from '../../tenancy/scopes'

/** The catalog's models this caller's key and tenant may use (a model counts if any target does). */
export const modelsRoutes = new Hono<TenantEnv>().get('/models', (c) => {
  const { config, tenant, apiKey } = c.var
  const registry = providerRegistry(config)
  const data = modelCatalog(config)
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
  return c.json({ object: 'list' as const, data })
})
