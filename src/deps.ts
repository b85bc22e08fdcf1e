/**
 * @module
 * What the request path depends on, built once per isolate from the validated configuration and
 * handed to `createApp`: the Upstash clients, the write batch every after-response write joins,
 * admission, the response cache and the clock. Tests build the same shape from fakes.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { Index } from '@upstash/vector/cloudflare'
import { cacheEraser } from './cache/purge'
import { createResponseCache, type ResponseCache } from './cache/response-cache'
import type { GatewayConfig } from './config'
import {
  createOriginRegistry,
  type OriginRegistry,
  originRegistryEraser,
} from './end-users/origin-registry'
import { hookOwnersEraser } from './hooks/store'
import type { JobMessage } from './jobs/messages'
import { type JobQueue, jobQueue } from './jobs/queue'
import { reportFailure } from './lib/log'
import { createLimits, type Limits } from './limits/admission'
import { failuresEraser } from './observability/failures'
import { collectionsEraser } from './retrieval/erasure'
import type { TenantEraser } from './tenant-eraser'
import { getRedis } from './upstash/redis'
import { getVectorIndex } from './upstash/vector'
import { createWriteBatch, type WriteBatch } from './upstash/write-batch'
import { createEndpointStore, type EndpointStore } from './webhooks/endpoints'
import type { EventSink } from './webhooks/events'
import { createEventSink } from './webhooks/messages'

export type GatewayDeps = {
  config: GatewayConfig
  redis: Redis
  /** Absent: semantic cache and retrieval are off. */
  vector: Index | undefined
  writes: WriteBatch
  /** The background-work queue (background responses, webhook deliveries). */
  jobs: JobQueue
  /** Webhook events for the tenant's endpoints. */
  events: EventSink
  /** The tenants' webhook endpoints (src/webhooks/endpoints.ts). */
  webhooks: EndpointStore
  limits: Limits
  cache: ResponseCache
  /** Browser origins some tenant allows, for CORS preflights (which carry no credential). */
  origins: OriginRegistry
  /** Everything a tenant's erasure must remove beyond its Redis prefix. */
  erasers: readonly TenantEraser[]
  clock: () => number
  /** Logs a failure the request survives (background work, degraded paths). */
  report(what: string, error: unknown, detail?: Record<string, number>): void
}

/** The platform's non-string bindings. */
export type Platform = { jobs?: Queue<JobMessage> | undefined }

export function buildDeps(config: GatewayConfig, platform: Platform = {}): GatewayDeps {
  const redis = getRedis(config)
  const vector = config.vector ? getVectorIndex(config.vector) : undefined
  const clock = Date.now
  const report = reportFailure
  const writes = createWriteBatch({ redis, report })
  const jobs = jobQueue(platform.jobs)
  const webhooks = createEndpointStore({ redis, config, clock })
  return {
    config,
    redis,
    vector,
    writes,
    jobs,
    events: createEventSink({ redis, jobs, endpoints: webhooks, clock }),
    webhooks,
    limits: createLimits({ redis, writes, clock, report }),
    cache: createResponseCache({ redis, vector, writes, clock, report }),
    origins: createOriginRegistry({ redis, report }),
    erasers: [
      cacheEraser(redis, vector),
      collectionsEraser(redis, config),
      originRegistryEraser(redis),
      failuresEraser(redis),
      hookOwnersEraser(redis),
    ],
    clock,
    report,
  }
}
