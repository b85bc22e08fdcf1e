import type { CompletionUsage } from 'openai/resources/completions'
import { isRecord } from '../lib/json'
import type { Usage } from './types'

/**
 * OpenAI's `usage` object; absent or null means the upstream did not say. Counts are whole
 * non-negative numbers whatever an upstream sends (a custom provider's 12.5 or -1): metering
 * increments them as integers, and one bad amount would refuse the request's whole metering.
 */
export function readUsage(value: unknown): Usage | undefined {
  if (!isRecord(value) || !isCount(value.prompt_tokens)) return undefined
  const details = isRecord(value.prompt_tokens_details) ? value.prompt_tokens_details : {}
  return {
    promptTokens: count(value.prompt_tokens),
    completionTokens: count(value.completion_tokens),
    cachedTokens: count(details.cached_tokens),
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function count(value: unknown): number {
  return isCount(value) ? Math.max(0, Math.round(value)) : 0
}

export function openAIUsage(usage: Usage): CompletionUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: {
      cached_tokens: usage.cachedTokens,
      // As OpenRouter names them: the Anthropic ingress reports them apart again.
      ...(usage.cacheWriteTokens ? { cache_write_tokens: usage.cacheWriteTokens } : {}),
    },
  }
}
