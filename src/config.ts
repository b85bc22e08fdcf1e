/**
 * @module
 * Reads the Worker's vars and secrets once per isolate into a typed, validated `GatewayConfig`.
 * A missing or malformed setting fails every request with a message that names the setting,
 * never its value.
 */
import * as z from 'zod/mini'
import type { Bindings } from './env'
import { GatewayError } from './errors'
import { lazy } from './lib/lazy'
import { CatalogSchema, type CatalogSettings } from './routing/catalog-schema'

const optionalText = lazy(() => z.optional(z.string().check(z.trim(), z.minLength(1))))
const optionalUrl = lazy(() => z.optional(z.url({ protocol: /^https?$/ })))
const flag = lazy(() => z.optional(z.enum(['true', 'false'])))

const ExtraProviderSchema = lazy(() =>
  z.strictObject({
    name: z
      .string()
      .check(z.regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits or -')),
    preset: z.optional(z.string()),
    baseUrl: z.optional(z.url({ protocol: /^https?$/ })),
    apiKey: z.optional(z.string()),
    azureApiVersion: z.optional(z.string()),
  })
)
export type ExtraProvider = z.infer<ReturnType<typeof ExtraProviderSchema>>

/** A whole number within bounds, from a string binding, with a default. */
function wholeNumber(min: number, max: number, fallback: number) {
  return z._default(
    z.pipe(
      z.string().check(z.regex(/^\d+$/, 'must be a whole number')),
      z.pipe(z.transform(Number), z.int().check(z.minimum(min), z.maximum(max)))
    ),
    fallback
  )
}

/** A JSON-valued setting: a string that must parse and then match its schema. */
function jsonSetting<T extends z.ZodMiniType>(schema: T) {
  return z.pipe(
    z.pipe(
      z.string(),
      z.transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown
        } catch {
          ctx.issues.push({ code: 'custom', message: 'must be valid JSON', input: text })
          return z.NEVER
        }
      })
    ),
    schema
  )
}

const BindingsSchema = lazy(() =>
  z.object({
    ENVIRONMENT: z._default(z.enum(['production', 'development']), 'production'),
    ADMIN_TOKEN: z.string().check(z.minLength(16, 'must be at least 16 characters')),
    UPSTASH_REDIS_REST_URL: z.url({ protocol: /^https?$/ }),
    UPSTASH_REDIS_REST_TOKEN: z.string().check(z.minLength(1)),
    UPSTASH_VECTOR_REST_URL: optionalUrl(),
    UPSTASH_VECTOR_REST_TOKEN: optionalText(),
    ENCRYPTION_KEY: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64-encoded'))
    ),
    OPENAI_API_KEY: optionalText(),
    OPENAI_BASE_URL: optionalUrl(),
    ANTHROPIC_API_KEY: optionalText(),
    ANTHROPIC_BASE_URL: optionalUrl(),
    MOCK_PROVIDER_URL: optionalUrl(),
    MODEL_CATALOG: z.optional(jsonSetting(CatalogSchema())),
    MAX_BODY_BYTES: z._default(
      z.pipe(
        z.string().check(z.regex(/^\d+$/, 'must be a whole number of bytes')),
        z.transform(Number)
      ),
      1_048_576
    ),
    ALLOW_LOOPBACK_UPSTREAMS: flag(),
    PROVIDERS: z.optional(jsonSetting(z.array(ExtraProviderSchema()))),
    OBSERVABILITY: z._default(z.enum(['on', 'off']), 'on'),
    METRICS_MINUTE_RETENTION_HOURS: wholeNumber(1, 24 * 31, 48),
    METRICS_HOUR_RETENTION_DAYS: wholeNumber(1, 3660, 90),
    BACKGROUND_LEASE_MS: wholeNumber(100, 3_600_000, 30_000),
    BACKGROUND_REQUEUE_AFTER_MS: wholeNumber(100, 86_400_000, 120_000),
    BACKGROUND_SWEEP_INTERVAL_MS: wholeNumber(100, 3_600_000, 30_000),
    BACKGROUND_POLL_MS: wholeNumber(10, 60_000, 250),
    BACKGROUND_FOLLOW_MAX_MS: wholeNumber(1_000, 3_600_000, 900_000),
    OTLP_TRACES_URL: optionalUrl(),
    OTLP_HEADERS: z.optional(jsonSetting(z.record(z.string(), z.string()))),
    OTLP_SAMPLE_RATE: z._default(
      z.pipe(
        z.string().check(z.regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a number from 0 to 1')),
        z.transform(Number)
      ),
      1
    ),
    WEBHOOK_RETRY_SCHEDULE: z._default(
      z.pipe(
        z.string().check(
          // The queue moves a message to the dead-letter queue after `max_retries` (10 in
          // wrangler.toml): ten attempts leave one redelivery of a crashed consumer to spare.
          z.regex(
            /^0(,\d+){0,9}$/,
            'must be up to 10 comma-separated whole seconds, starting with 0'
          )
        ),
        z.pipe(
          z.transform((text: string) => text.split(',').map(Number)),
          z.array(z.number().check(z.maximum(86_400, 'delays are at most 86400 seconds')))
        )
      ),
      // Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
      [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000]
    ),
    WEBHOOK_TIMEOUT_MS: wholeNumber(100, 60_000, 15_000),
    WEBHOOK_DISABLE_AFTER_FAILURES: wholeNumber(1, 10_000, 20),
    WEBHOOK_ROTATION_GRACE_SECONDS: wholeNumber(0, 7 * 86_400, 86_400),
  })
)

type ParsedBindings = z.infer<ReturnType<typeof BindingsSchema>>

export type UpstashCredentials = { url: string; token: string }

export type GatewayConfig = {
  environment: 'production' | 'development'
  adminToken: string
  redis: UpstashCredentials
  /** Absent: semantic cache and retrieval are off. */
  vector: UpstashCredentials | undefined
  encryptionKey: string | undefined
  providers: {
    openai: { apiKey: string | undefined; baseUrl: string | undefined }
    anthropic: { apiKey: string | undefined; baseUrl: string | undefined }
    mock: { baseUrl: string | undefined }
  }
  /** OpenAI-compatible (or Anthropic) providers the deployment adds by configuration. */
  extraProviders: ExtraProvider[]
  /** Replaces the default catalog when set. */
  modelCatalog: CatalogSettings | undefined
  maxBodyBytes: number
  /** Only the local stack sets this: tenant base URLs on loopback pass the SSRF guard. */
  allowLoopbackUpstreams: boolean
  /**
   * False (OBSERVABILITY=off): no request log line, metrics, kept record, recent failures or
   * alerts, which saves their Workers Logs volume and Upstash commands (src/observability/).
   */
  observability: boolean
  /** How long the per-minute and per-hour metrics hashes are kept (src/observability/metrics.ts). */
  metricsRetention: { minuteSeconds: number; hourSeconds: number }
  /** Background responses' timings (src/ingress/responses/background.ts), all in ms. */
  background: BackgroundTimings
  /** OTLP/HTTP JSON trace export; absent: off (src/observability/trace.ts). */
  otlp: { url: string; headers: Record<string, string>; sampleRate: number } | undefined
  /** Outbound webhook delivery (src/webhooks/delivery.ts). */
  webhooks: WebhookSettings
}

export type WebhookSettings = {
  /** Seconds before each attempt: 0 for the first (immediately), then the waits after failures. */
  retrySchedule: number[]
  timeoutMs: number
  /** Consecutive failed deliveries (messages whose attempts ran out) that disable an endpoint. */
  disableAfterFailures: number
  /** How long a rotated-out secret still signs deliveries, unless the rotation says otherwise. */
  rotationGraceSeconds: number
}

export type BackgroundTimings = {
  /** A running job's lease; renewed at a third of it, so a dead consumer is noticed after it. */
  leaseMs: number
  /** How long a queued job may wait for its message before the sweeper sends another. */
  requeueAfterMs: number
  /** How often, at most, one isolate sweeps for overdue jobs. */
  sweepIntervalMs: number
  /** How often a stream that follows a running response looks for new events. */
  pollMs: number
  /** How long one such stream follows before it ends (the client resumes with starting_after). */
  followMaxMs: number
}

const cache = new WeakMap<Bindings, GatewayConfig>()

/** Validated once per isolate: the `env` object a Worker receives is the same for every request. */
export function loadConfig(env: Bindings): GatewayConfig {
  let config = cache.get(env)
  if (!config) {
    config = toConfig(parseBindings(env))
    cache.set(env, config)
  }
  return config
}

function parseBindings(env: Bindings): ParsedBindings {
  const result = BindingsSchema().safeParse(env)
  if (result.success) {
    const vectorHalves = [
      result.data.UPSTASH_VECTOR_REST_URL,
      result.data.UPSTASH_VECTOR_REST_TOKEN,
    ]
    if (vectorHalves.filter(Boolean).length === 1) {
      throw misconfigured(
        'UPSTASH_VECTOR_REST_URL and UPSTASH_VECTOR_REST_TOKEN must be set together'
      )
    }
    return result.data
  }
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'configuration')
    const missing = issue.code === 'invalid_type' && env[name as keyof Bindings] === undefined
    return missing ? `${name} is required` : `${name} ${issue.message}`
  })
  throw misconfigured(problems.join('; '))
}

function misconfigured(detail: string): GatewayError {
  return new GatewayError(500, `Gateway misconfigured: ${detail}.`, {
    type: 'server_error',
    code: 'gateway_misconfigured',
  })
}

function toConfig(b: ParsedBindings): GatewayConfig {
  const vector =
    b.UPSTASH_VECTOR_REST_URL && b.UPSTASH_VECTOR_REST_TOKEN
      ? { url: b.UPSTASH_VECTOR_REST_URL, token: b.UPSTASH_VECTOR_REST_TOKEN }
      : undefined
  return {
    environment: b.ENVIRONMENT,
    adminToken: b.ADMIN_TOKEN,
    redis: { url: b.UPSTASH_REDIS_REST_URL, token: b.UPSTASH_REDIS_REST_TOKEN },
    vector,
    encryptionKey: b.ENCRYPTION_KEY,
    providers: {
      openai: { apiKey: b.OPENAI_API_KEY, baseUrl: b.OPENAI_BASE_URL },
      anthropic: { apiKey: b.ANTHROPIC_API_KEY, baseUrl: b.ANTHROPIC_BASE_URL },
      mock: { baseUrl: b.MOCK_PROVIDER_URL },
    },
    extraProviders: b.PROVIDERS ?? [],
    modelCatalog: b.MODEL_CATALOG,
    maxBodyBytes: b.MAX_BODY_BYTES,
    allowLoopbackUpstreams: b.ALLOW_LOOPBACK_UPSTREAMS === 'true',
    observability: b.OBSERVABILITY === 'on',
    metricsRetention: {
      minuteSeconds: b.METRICS_MINUTE_RETENTION_HOURS * 3600,
      hourSeconds: b.METRICS_HOUR_RETENTION_DAYS * 86_400,
    },
    background: {
      leaseMs: b.BACKGROUND_LEASE_MS,
      requeueAfterMs: b.BACKGROUND_REQUEUE_AFTER_MS,
      sweepIntervalMs: b.BACKGROUND_SWEEP_INTERVAL_MS,
      pollMs: b.BACKGROUND_POLL_MS,
      followMaxMs: b.BACKGROUND_FOLLOW_MAX_MS,
    },
    otlp: b.OTLP_TRACES_URL
      ? { url: b.OTLP_TRACES_URL, headers: b.OTLP_HEADERS ?? {}, sampleRate: b.OTLP_SAMPLE_RATE }
      : undefined,
    webhooks: {
      retrySchedule: b.WEBHOOK_RETRY_SCHEDULE,
      timeoutMs: b.WEBHOOK_TIMEOUT_MS,
      disableAfterFailures: b.WEBHOOK_DISABLE_AFTER_FAILURES,
      rotationGraceSeconds: b.WEBHOOK_ROTATION_GRACE_SECONDS,
    },
  }
}
