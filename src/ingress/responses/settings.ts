/**
 * @module
 * A tenant's Responses API settings (`responses` in its config): whether responses are stored by
 * default, how long they are kept, and the context budget that keeps long histories within a
 * token budget (system + running summary + the last N turns). Only what the admin sent is
 * stored; defaults apply when a request reads them.
 */
import * as z from 'zod/mini'
import { lazy } from '../../lib/lazy'
import { ModelName } from '../../openai/chat-request'

const DEFAULT_RETENTION_DAYS = 30
const DEFAULT_RECENT_TURNS = 6
const MAX_RETENTION_DAYS = 365

const ContextSettingsSchema = lazy(() =>
  z.strictObject({
    /** Estimated input tokens the history may take upstream; absent: no budget. */
    max_input_tokens: z.optional(z.int().check(z.minimum(256), z.maximum(2_000_000))),
    /** Turns (a user message and what follows it) always sent verbatim. */
    recent_turns: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
    /** The (cheap) model that folds older turns into the summary; absent: the request's model. */
    summary_model: z.optional(ModelName()),
    /** `truncation` when a request sets none: OpenAI's default is `disabled`. */
    default_truncation: z.optional(z.enum(['auto', 'disabled'])),
  })
)

export const ResponsesSettingsSchema = lazy(() =>
  z.strictObject({
    /** `store` when a request sets none (OpenAI's default: true). */
    store_default: z.optional(z.boolean()),
    /** Stored responses expire after this many days; conversations are kept until deleted. */
    retention_days: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_RETENTION_DAYS))),
    context: z.optional(ContextSettingsSchema()),
  })
)

export type ResponsesSettingsInput = z.infer<ReturnType<typeof ResponsesSettingsSchema>>

export type ResponsesSettings = {
  storeDefault: boolean
  retentionSeconds: number
  context: {
    maxInputTokens: number | undefined
    recentTurns: number
    summaryModel: string | undefined
    defaultTruncation: 'auto' | 'disabled'
  }
}

export function resolveResponsesSettings(
  input: ResponsesSettingsInput | undefined
): ResponsesSettings {
  const context = input?.context
  return {
    storeDefault: input?.store_default ?? true,
    retentionSeconds: (input?.retention_days ?? DEFAULT_RETENTION_DAYS) * 86_400,
    context: {
      maxInputTokens: context?.max_input_tokens,
      recentTurns: context?.recent_turns ?? DEFAULT_RECENT_TURNS,
      summaryModel: context?.summary_model,
      defaultTruncation: context?.default_truncation ?? 'disabled',
    },
  }
}
