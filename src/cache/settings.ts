/**
 * @module
 * A tenant's cache settings, validated as part of its config. Only what the admin sent is stored;
 * defaults are applied when a request reads them, so changing a default reaches every tenant.
 */
import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'

const MAX_TTL_SECONDS = 30 * 86_400
/** The semantic lookup may hold the upstream call this long by default (one Vector round trip). */
export const DEFAULT_LOOKUP_BUDGET_MS = 20
const MAX_LOOKUP_BUDGET_MS = 1000
const ttl = lazy(() => z.int().check(z.minimum(1), z.maximum(MAX_TTL_SECONDS)))
/** Upstash's normalised score: (1 + cosine) / 2 for a COSINE index, so 0.95 is cosine 0.9. */
const score = lazy(() => z.number().check(z.gte(0), z.lte(1)))

const SemanticSettingsSchema = lazy(() =>
  z.strictObject({
    enabled: z.optional(z.boolean()),
    threshold: z.optional(score()),
    /** Bounds for the per-request `x-gateway-cache-threshold` override. */
    min_threshold: z.optional(score()),
    max_threshold: z.optional(score()),
    /** How many trailing messages are embedded: 1 (default) is the last user message alone. */
    embed_turns: z.optional(z.int().check(z.minimum(1), z.maximum(20))),
    /** How long the upstream call waits for a similar answer before it starts without one. */
    lookup_budget_ms: z.optional(z.int().check(z.minimum(0), z.maximum(MAX_LOOKUP_BUDGET_MS))),
  })
)

export const CacheSettingsSchema = lazy(() =>
  z
    .strictObject({
      enabled: z.optional(z.boolean()),
      ttl_seconds: z.optional(ttl()),
      /** The longest TTL a request may ask for with `x-gateway-cache-ttl`. */
      max_ttl_seconds: z.optional(ttl()),
      /** Requests above this temperature are not cached; absent: any (a cached answer is a valid sample). */
      max_temperature: z.optional(z.number().check(z.gte(0), z.lte(2))),
      cache_n_gt_1: z.optional(z.boolean()),
      cache_tool_calls: z.optional(z.boolean()),
      semantic: z.optional(SemanticSettingsSchema()),
    })
    .check(
      z.superRefine((input, ctx) => {
        const settings = resolveCacheSettings(input)
        const problem = (path: string[], message: string) =>
          ctx.issues.push({ code: 'custom', message, input, path })
        if (settings.ttlSeconds > settings.maxTtlSeconds) {
          problem(['ttl_seconds'], 'must not exceed max_ttl_seconds')
        }
        const { threshold, minThreshold, maxThreshold } = settings.semantic
        if (threshold < minThreshold || threshold > maxThreshold) {
          problem(['semantic', 'threshold'], 'must lie between min_threshold and max_threshold')
        }
      })
    )
)

export type CacheSettingsInput = z.infer<ReturnType<typeof CacheSettingsSchema>>

export type CacheSettings = {
  enabled: boolean
  ttlSeconds: number
  maxTtlSeconds: number
  maxTemperature: number
  cacheMultipleChoices: boolean
  cacheToolCalls: boolean
  semantic: {
    enabled: boolean
    threshold: number
    minThreshold: number
    maxThreshold: number
    embedTurns: number
    lookupBudgetMs: number
  }
}

export function resolveCacheSettings(input: CacheSettingsInput | undefined): CacheSettings {
  const semantic = input?.semantic
  const threshold = semantic?.threshold ?? 0.95
  return {
    enabled: input?.enabled ?? false,
    ttlSeconds: input?.ttl_seconds ?? Math.min(3600, input?.max_ttl_seconds ?? 3600),
    maxTtlSeconds: input?.max_ttl_seconds ?? Math.max(86_400, input?.ttl_seconds ?? 0),
    maxTemperature: input?.max_temperature ?? Number.POSITIVE_INFINITY,
    cacheMultipleChoices: input?.cache_n_gt_1 ?? false,
    cacheToolCalls: input?.cache_tool_calls ?? false,
    semantic: {
      enabled: semantic?.enabled ?? false,
      threshold,
      minThreshold: semantic?.min_threshold ?? Math.min(0.8, threshold),
      maxThreshold: semantic?.max_threshold ?? 1,
      embedTurns: semantic?.embed_turns ?? 1,
      lookupBudgetMs: semantic?.lookup_budget_ms ?? DEFAULT_LOOKUP_BUDGET_MS,
    },
  }
}
