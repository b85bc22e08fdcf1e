import type { Context } from 'hono'
import type { TenantEnv } from '../env'
import { GatewayError } from '../errors'
import { providerRegistry } from '../providers/registry'
import { providerCredentials } from '../tenancy/credentials'
import { allowsModel } from '../tenancy/scopes'
import { modelCatalog } from './catalog'
import type { CatalogModel } from './catalog-schema'
import { orderTargets } from './order-targets'
import type { PreparedTarget } from './prepared-target'

/**
 * The targets this caller may be served by for `model`, in the order to try them: resolved
 * through the catalog, filtered by the key's and tenant's scopes on the upstream model actually
 * dispatched, each with the credentials it will be called with.
 */
export async function prepareTargets(
  c: Context<TenantEnv>,
  model: string,
  kind: CatalogModel['kind']
): Promise<PreparedTarget[]> {
  const { config, tenant, apiKey } = c.var
  const entry = modelCatalog(config).resolve(model, kind)
  const registry = providerRegistry(config)
  const prepared: PreparedTarget[] = []
  for (const target of orderTargets(entry?.targets ?? [])) {
    const provider = registry.get(target.provider)
    if (!provider || !allowsModel(tenant, apiKey, target)) continue
    if (kind === 'embeddings' && !provider.adapter.supportsEmbeddings) continue
    const own = await providerCredentials(c, target.provider)
    if (own === 'denied') continue
    const credentials =
      own === 'deployment'
        ? provider.credentials
        : { apiKey: own.apiKey, baseUrl: own.baseUrl ?? provider.defaultBaseUrl ?? '' }
    if (!credentials?.baseUrl) continue
    if (provider.adapter.requiresApiKey && !credentials.apiKey) continue
    prepared.push({ ...target, adapter: provider.adapter, credentials })
  }
  if (prepared.length === 0) {
    // One answer for "no such model" and "not yours": scopes do not reveal what exists.
    throw new GatewayError(
      404,
      `The model '${model}' does not exist or you do not have access to it.`,
      {
        param: 'model',
        code: 'model_not_found',
      }
    )
  }
  return prepared
}
