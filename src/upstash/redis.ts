/**
 * @module
 * One `@upstash/redis` client per isolate and credential pair. Every command is bounded by a short
 * timeout: a slow or unreachable Redis must surface as an error the tenant's fail policy decides
 * on, never as a hung request.
 */
import { Redis } from '@upstash/redis/cloudflare'
import type { GatewayConfig } from '../config'
import { attributeFailure } from './dependency'

/** Upper bound for one Redis command, retries included. */
export const REDIS_TIMEOUT_MS = 2000

const clients = new Map<string, Redis>()

/** Names one Redis database, for caches of objects bound to a client. */
export function redisIdentity(config: GatewayConfig): string {
  return `${config.redis.url} ${config.redis.token}`
}

export function getRedis(config: GatewayConfig): Redis {
  const cacheKey = redisIdentity(config)
  let client = clients.get(cacheKey)
  if (!client) {
    client = new Redis({
      url: config.redis.url,
      token: config.redis.token,
      // A function, so each command gets a fresh deadline and an abort throws instead of
      // resolving with a fake "Aborted" result.
      signal: () => AbortSignal.timeout(REDIS_TIMEOUT_MS),
      // One quick retry covers a dropped keep-alive connection; more would outlast the timeout.
      retry: { retries: 1, backoff: () => 20 },
      enableTelemetry: false,
      // Commands from concurrent requests share this client: ordering is per request, not global.
      readYourWrites: false,
    })
    // Every command and pipeline goes through this one request function.
    client.use(async (request, next) => {
      try {
        return await next(request)
      } catch (error) {
        throw attributeFailure(error, 'redis')
      }
    })
    clients.set(cacheKey, client)
  }
  return client
}
