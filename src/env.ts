/**
 * @module
 * The one environment type of the app: the Worker's bindings (vars and secrets from wrangler.toml
 * and `wrangler secret put`) and the per-request variables middleware sets.
 */
import type { GatewayConfig } from './config'
import type { EndUser } from './end-users/types'
import type { JobMessage } from './jobs/messages'
import type { RequestObservation } from './observability/record'
import type { ApiKeyContext, TenantContext } from './tenancy/types'

/**
 * Every string binding is one the operator may have forgotten: `loadConfig` validates them.
 * `JOBS` is the platform's queue (wrangler.toml), handed to `buildDeps` as it is.
 */
export type Bindings = {
  JOBS?: Queue<JobMessage>
  ENVIRONMENT?: string
  ADMIN_TOKEN?: string
  UPSTASH_REDIS_REST_URL?: string
  UPSTASH_REDIS_REST_TOKEN?: string
  UPSTASH_VECTOR_REST_URL?: string
  UPSTASH_VECTOR_REST_TOKEN?: string
  ENCRYPTION_KEY?: string
  OPENAI_API_KEY?: string
  OPENAI_BASE_URL?: string
  ANTHROPIC_API_KEY?: string
  ANTHROPIC_BASE_URL?: string
  MOCK_PROVIDER_URL?: string
  MODEL_CATALOG?: string
  PROVIDERS?: string
  MAX_BODY_BYTES?: string
  ALLOW_LOOPBACK_UPSTREAMS?: string
  OBSERVABILITY?: string
  METRICS_MINUTE_RETENTION_HOURS?: string
  METRICS_HOUR_RETENTION_DAYS?: string
  BACKGROUND_LEASE_MS?: string
  BACKGROUND_REQUEUE_AFTER_MS?: string
  BACKGROUND_SWEEP_INTERVAL_MS?: string
  BACKGROUND_POLL_MS?: string
  BACKGROUND_FOLLOW_MAX_MS?: string
  OTLP_TRACES_URL?: string
  OTLP_HEADERS?: string
  OTLP_SAMPLE_RATE?: string
  WEBHOOK_RETRY_SCHEDULE?: string
  WEBHOOK_TIMEOUT_MS?: string
  WEBHOOK_DISABLE_AFTER_FAILURES?: string
  WEBHOOK_ROTATION_GRACE_SECONDS?: string
}

/** What every route may read: set by the app's own middleware before any route runs. */
export type Variables = {
  requestId: string
  /** performance.now() when the request arrived, for the overhead headers. */
  startedAt: number
  config: GatewayConfig
  /** What the request log line and the metrics will say about this request. */
  observation: RequestObservation
}

export type AppEnv = { Bindings: Bindings; Variables: Variables }

/** The client routes under /v1, behind `tenantAuth`, which sets who is calling. */
export type TenantEnv = {
  Bindings: Bindings
  Variables: Variables & {
    tenant: TenantContext
    apiKey: ApiKeyContext
    /** Set when the caller is an end user (client token or tenant JWT), not the tenant's key. */
    endUser?: EndUser
  }
}
