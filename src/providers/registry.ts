/**
 * @module
 * Every provider the gateway can call, with where it lives by default. An OpenAI-compatible
 * provider is a preset of a few lines; a deployment adds its own through the PROVIDERS secret.
 */
import type { GatewayConfig } from '../config'
import { anthropic } from './anthropic'
import { openAICompatible } from './openai-compatible'
import type { ProviderAdapter } from './types'

export type ProviderDefinition = {
  adapter: ProviderAdapter
  defaultBaseUrl: string | undefined
}

const openAIStyle = (name: string, defaultBaseUrl: string | undefined, requiresApiKey = true) => ({
  adapter: openAICompatible({ name, requiresApiKey }),
  defaultBaseUrl,
})

const PRESETS: Record<string, ProviderDefinition> = {
  openai: openAIStyle('openai', 'https://api.openai.com/v1'),
  anthropic: { adapter: anthropic, defaultBaseUrl: 'https://api.anthropic.com' },
  groq: openAIStyle('groq', 'https://api.groq.com/openai/v1'),
  together: openAIStyle('together', 'https://api.together.xyz/v1'),
  openrouter: openAIStyle('openrouter', 'https://openrouter.ai/api/v1'),
  ollama: openAIStyle('ollama', undefined, false),
  vllm: openAIStyle('vllm', undefined, false),
  mock: openAIStyle('mock', undefined, false),
}

export type DeploymentProvider = ProviderDefinition & {
  /** The deployment's own credentials; absent when only tenants' own keys can call it. */
  credentials: { apiKey: string | undefined; baseUrl: string } | undefined
}

const registries = new WeakMap<GatewayConfig, Map<string, DeploymentProvider>>()

/** Built once per configuration: presets with the deployment's keys, plus PROVIDERS entries. */
export function providerRegistry(config: GatewayConfig): Map<string, DeploymentProvider> {
  let registry = registries.get(config)
  if (registry) return registry
  registry = new Map()
  for (const [name, preset] of Object.entries(PRESETS)) {
    registry.set(name, { ...preset, credentials: presetCredentials(name, preset, config) })
  }
  for (const extra of config.extraProviders) {
    const preset = PRESETS[extra.preset ?? extra.name]
    const adapter =
      preset?.adapter.name === 'anthropic'
        ? anthropic
        : openAICompatible({
            name: extra.name,
            auth: extra.azureApiVersion ? 'api-key' : 'bearer',
            azureApiVersion: extra.azureApiVersion,
            requiresApiKey: Boolean(extra.apiKey),
          })
    const baseUrl = extra.baseUrl ?? preset?.defaultBaseUrl
    registry.set(extra.name, {
      adapter,
      defaultBaseUrl: baseUrl,
      credentials: baseUrl ? { apiKey: extra.apiKey, baseUrl } : undefined,
    })
  }
  registries.set(config, registry)
  return registry
}

function presetCredentials(name: string, preset: ProviderDefinition, config: GatewayConfig) {
  switch (name) {
    case 'openai':
    case 'anthropic': {
      const { apiKey, baseUrl } = config.providers[name]
      if (!apiKey && !baseUrl) return undefined
      return { apiKey, baseUrl: baseUrl ?? preset.defaultBaseUrl ?? '' }
    }
    case 'mock': {
      const baseUrl = config.providers.mock.baseUrl
      return baseUrl
        ? { apiKey: undefined, baseUrl: `${baseUrl.replace(/\/+$/, '')}/v1` }
        : undefined
    }
    default:
      return undefined
  }
}
