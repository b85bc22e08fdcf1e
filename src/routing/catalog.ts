/**
 * @module
 * Public model names -> ordered upstream targets. The default catalog serves the mock provider's
 * models and the common OpenAI and Anthropic names whenever that provider is configured; MODEL_CATALOG
 * replaces it. Any configured provider is also addressable directly as `provider/model`.
 */
import type { GatewayConfig } from '../config'
import { providerRegistry } from '../providers/registry'
import { type CatalogModel, type Target, TargetSchema } from './catalog-schema'

export type Catalog = {
  models: CatalogModel[]
  resolve(name: string, kind: CatalogModel['kind']): CatalogModel | undefined
}

const DEFAULT_MODELS: Record<
  string,
  Array<{ name: string; kind?: CatalogModel['kind']; aliases?: string[] }>
> = {
  mock: [
    { name: 'mock-gpt', aliases: ['mock'] },
    { name: 'mock-embed', kind: 'embeddings' },
  ],
  openai: [
    { name: 'gpt-4o-mini' },
    { name: 'gpt-4o' },
    { name: 'gpt-4.1' },
    { name: 'gpt-4.1-mini' },
    { name: 'gpt-4.1-nano' },
    { name: 'o4-mini' },
    { name: 'text-embedding-3-small', kind: 'embeddings' },
    { name: 'text-embedding-3-large', kind: 'embeddings' },
  ],
  anthropic: [
    { name: 'claude-sonnet-4-5', aliases: ['claude-sonnet'] },
    { name: 'claude-haiku-4-5', aliases: ['claude-haiku'] },
    { name: 'claude-opus-4-1', aliases: ['claude-opus'] },
  ],
}

const catalogs = new WeakMap<GatewayConfig, Catalog>()

export function modelCatalog(config: GatewayConfig): Catalog {
  let catalog = catalogs.get(config)
  if (!catalog) {
    catalog = buildCatalog(config)
    catalogs.set(config, catalog)
  }
  return catalog
}

function buildCatalog(config: GatewayConfig): Catalog {
  const registry = providerRegistry(config)
  const models = config.modelCatalog?.models ?? defaultModels(config)
  const byName = new Map<string, CatalogModel>()
  for (const model of models) {
    for (const name of [model.name, ...model.aliases]) byName.set(name, model)
  }
  return {
    models,
    resolve(name, kind) {
      const listed = byName.get(name)
      if (listed) return listed.kind === kind ? listed : undefined
      // `provider/model` reaches a known provider directly, with default target settings.
      const slash = name.indexOf('/')
      if (slash <= 0 || slash === name.length - 1) return undefined
      const provider = name.slice(0, slash)
      if (!registry.has(provider)) return undefined
      return { name, aliases: [], kind, targets: [target(provider, name.slice(slash + 1))] }
    },
  }
}

function defaultModels(config: GatewayConfig): CatalogModel[] {
  const registry = providerRegistry(config)
  return Object.entries(DEFAULT_MODELS).flatMap(([provider, entries]) =>
    registry.get(provider)?.credentials
      ? entries.map((entry) => ({
          name: entry.name,
          aliases: entry.aliases ?? [],
          kind: entry.kind ?? 'chat',
          targets: [target(provider, entry.name)],
        }))
      : []
  )
}

function target(provider: string, model: string): Target {
  return TargetSchema().parse({ provider, model })
}
