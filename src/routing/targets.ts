import type { GatewayConfig } from '../config'
import { GatewayError } from '../errors'
import { providerRegistry } from '../providers/registry'
import { providerCredentials } from '../tenancy/credentials'
import { allowsModel } from '../tenancy/scopes'
import type { ApiKeyContext, TenantContext } from '../tenancy/types'
import { modelCatalog } from './catalog'
import type { CatalogModel } from './catalog-schema'
import { orderTargets } from './order-targets'
import type { PreparedTarget } from './prepared-target'

/**
 * The targets this caller may be served by for `model`, in the order to try them: resolved
 * through the catalog, filtered by the key's and tenant's scopes on the upstream model actually
 * dispatched, each with the credentials it will be called with.
 */
export type Caller = { config: GatewayConfig; tenant: TenantContext; apiKey: ApiKeyContext }

export async function prepareTargets(
  { config, tenant, apiKey }: Caller,
  model: string,
  kind: CatalogModel['kind']
): Promise<PreparedTarget[]> {
  const entry = modelCatalog(config).resolve(model, kind)
  const registry = providerRegistry(config)
  const prepared: PreparedTarget[] = []
  for (const target of orderTargets(entry?.targets ?? [])) {
    const provider = registry.get(target.provider)
    if (!provider || !allowsModel(tenant, apiKey, target)) continue
    if (kind === 'embeddings' && !provider.adapter.supportsEmbeddings) continue
    const own = await providerCredentials(config, tenant, target.provider)
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
