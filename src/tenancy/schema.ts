/**
 * @module
 * The shapes the admin API accepts and stores, validated with `zod/mini` (full zod would weigh on
 * the Worker bundle). Wire names are snake_case like the OpenAI API the clients already speak;
 * the stored tenant config is exactly the validated input, minus secrets, which are sealed.
 */
import * as z from 'zod/mini'
import { CacheSettingsSchema } from '../cache/settings'
import { EndUserSettingsSchema } from '../end-users/settings'
import { GuardrailPolicySchema } from '../guardrails/settings'
import { ResponsesSettingsSchema } from '../ingress/responses/settings'
import { lazy } from '../lib/lazy'
import { ObservabilitySettingsSchema } from '../observability/settings'
import { RetrievalSettingsSchema } from '../retrieval/settings'

/**
 * Bounds far above any real deployment and far below where the arithmetic breaks: spend is
 * counted in integer micro-USD, so a price or budget near 1e308 became Infinity or NaN, the
 * spend update failed, cost stayed 0 and (with such a budget) every reservation failed.
 */
export const MAX_PRICE_USD_PER_MILLION = 10_000
export const MAX_BUDGET_USD = 1_000_000
const MAX_PER_MINUTE = 1_000_000_000
const MAX_CONCURRENT = 100_000
const MAX_OUTPUT_TOKENS = 10_000_000

const perMinute = lazy(() => z.int().check(z.minimum(1), z.maximum(MAX_PER_MINUTE)))
const usd = lazy(() => z.number().check(z.minimum(0), z.maximum(MAX_BUDGET_USD)))
const price = lazy(() => z.number().check(z.minimum(0), z.maximum(MAX_PRICE_USD_PER_MILLION)))
const name = lazy(() => z.string().check(z.trim(), z.minLength(1), z.maxLength(200)))
/** Model names or globs ('gpt-4o*', 'mock/*'). */
const modelPatterns = lazy(() =>
  z.array(z.string().check(z.minLength(1), z.maxLength(200))).check(z.maxLength(200))
)

export const BudgetSchema = lazy(() =>
  z.strictObject({
    /** Calendar-month spend (UTC) above which requests are refused with `insufficient_quota`. */
    monthly_hard_usd: z.optional(usd()),
    /** Calendar-month spend above which responses carry a warning header. */
    monthly_soft_usd: z.optional(usd()),
  })
)

export const TenantLimitsSchema = lazy(() =>
  z.strictObject({
    requests_per_minute: z.optional(perMinute()),
    tokens_per_minute: z.optional(perMinute()),
    max_concurrent: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_CONCURRENT))),
    /** Default per-key requests per minute; a key's own limit overrides it. */
    key_requests_per_minute: z.optional(perMinute()),
  })
)

export const PriceSchema = lazy(() =>
  z.strictObject({
    /** USD per million tokens. */
    input: price(),
    output: price(),
    cached: z.optional(price()),
  })
)

/** What an admin sends for a provider: the secret in clear, once. */
export const ProviderInputSchema = lazy(() =>
  z.strictObject({
    api_key: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(4096))),
    base_url: z.optional(z.url({ protocol: /^https?$/ })),
  })
)

/** What is stored: the secret sealed with AES-GCM, never the clear text. */
export const StoredProviderSchema = lazy(() =>
  z.strictObject({
    api_key_sealed: z.optional(z.string()),
    base_url: z.optional(z.string()),
  })
)

const tenantConfigFields = lazy(() => ({
  /** Allowed models (names or globs); absent means every model the catalog routes. */
  models: z.optional(modelPatterns()),
  limits: z.optional(TenantLimitsSchema()),
  budget: z.optional(BudgetSchema()),
  /** When Redis is unreachable: serve without limits (`open`) or refuse with 503 (`closed`). */
  fail_mode: z.optional(z.enum(['open', 'closed'])),
  pricing: z.optional(z.record(z.string().check(z.minLength(1)), PriceSchema())),
  /** Whether requests may use the deployment's provider keys when the tenant has none. */
  allow_deployment_keys: z.optional(z.boolean()),
  /** Output tokens reserved at admission when a request sets no `max_tokens`. */
  default_max_output_tokens: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_OUTPUT_TOKENS))),
  /** Exact and semantic response cache (src/cache/settings.ts). */
  cache: z.optional(CacheSettingsSchema()),
  /** Retrieval defaults for chat: collection, top_k, filter, context budget (src/retrieval/settings.ts). */
  retrieval: z.optional(RetrievalSettingsSchema()),
  /** Responses API storage, retention and context budget (src/ingress/responses/settings.ts). */
  responses: z.optional(ResponsesSettingsSchema()),
  /** Input and output checks (src/guardrails/settings.ts). */
  guardrails: z.optional(GuardrailPolicySchema()),
  /** Browser and mobile end users: CORS, JWTs, client tokens, per-user limits (src/end-users/settings.ts). */
  end_users: z.optional(EndUserSettingsSchema()),
  /** Request-log sampling (src/observability/settings.ts). */
  observability: z.optional(ObservabilitySettingsSchema()),
}))

export const TenantConfigSchema = lazy(() =>
  z.object({
    ...tenantConfigFields(),
    providers: z.optional(z.record(z.string(), StoredProviderSchema())),
  })
)

export type TenantConfig = z.infer<ReturnType<typeof TenantConfigSchema>>

/**
 * Strict on input, at every depth (each nested schema is a `strictObject` too): a misspelt
 * setting is an error naming it, not silently dropped, which for `budget` meant no cap at all.
 */
export const TenantSettingsInputSchema = lazy(() => z.strictObject(tenantConfigFields()))

/** Provider entries in a request; `null` (in a PATCH) removes one. */
export const ProvidersInputSchema = lazy(() =>
  z.record(
    z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a provider name')),
    z.nullable(ProviderInputSchema())
  )
)

export const TenantConfigInputSchema = lazy(() =>
  z.strictObject({
    ...tenantConfigFields(),
    providers: z.optional(ProvidersInputSchema()),
  })
)

export const CreateTenantSchema = lazy(() =>
  z.strictObject({
    name: name(),
    config: z._default(TenantConfigInputSchema(), {}),
  })
)

/** PATCH: top-level config fields replace; `null` removes one; providers merge by name. */
export const UpdateTenantSchema = lazy(() =>
  z.strictObject({
    name: z.optional(name()),
    // Checked against TenantSettingsInputSchema once merged with the stored config.
    config: z.optional(z.record(z.string(), z.unknown())),
  })
)

export const KeyScopesSchema = lazy(() =>
  z.strictObject({
    models: z.optional(modelPatterns()),
    /** Request paths or globs ('/v1/chat/completions', '/v1/*'). */
    endpoints: z.optional(
      z.array(z.string().check(z.regex(/^\/[\w/*.-]*$/, 'must be a path'))).check(z.maxLength(50))
    ),
  })
)

export const CreateKeySchema = lazy(() =>
  z.strictObject({
    name: z._default(name(), 'default'),
    scopes: z._default(KeyScopesSchema(), {}),
    /** ISO timestamp after which the key stops working. */
    expires_at: z.optional(z.iso.datetime({ offset: true })),
    requests_per_minute: z.optional(perMinute()),
    budget: z.optional(BudgetSchema()),
    /** Checks added to the tenant's (never replacing or weakening them). */
    guardrails: z.optional(GuardrailPolicySchema()),
  })
)

export const RotateKeySchema = lazy(() =>
  z.strictObject({
    /** How long the old secret keeps working (seconds, up to 7 days). */
    grace_seconds: z._default(z.int().check(z.minimum(0), z.maximum(604_800)), 3600),
  })
)

export type Budget = z.infer<ReturnType<typeof BudgetSchema>>
export type Price = z.infer<ReturnType<typeof PriceSchema>>
export type CreateKeyInput = z.infer<ReturnType<typeof CreateKeySchema>>
