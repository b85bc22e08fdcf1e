import type { CompletionUsage } from 'openai/resources/completions'
import { isRecord } from '../lib/json'
import type { Usage } from './types'

/** OpenAI's `usage` object; absent or null means the upstream did not say. */
export function readUsage(value: unknown): Usage | undefined {
  if (!isRecord(value) || typeof value.prompt_tokens !== 'number') return undefined
  const details = isRecord(value.prompt_tokens_details) ? value.prompt_tokens_details : {}
  return {
    promptTokens: value.prompt_tokens,
    completionTokens: typeof value.completion_tokens === 'number' ? value.completion_tokens : 0,
    cachedTokens: typeof details.cached_tokens === 'number' ? details.cached_tokens : 0,
  }
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
