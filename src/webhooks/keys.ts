/**
 * @module
 * The Redis keys of outbound webhooks, all under the tenant's prefix so erasing a tenant erases
 * its endpoints, messages and delivery logs with everything else it owns.
 */
import { tenantPrefix } from '../upstash/keyspace'

/** endpointId -> JSON endpoint record: one HGETALL reads every endpoint an event may go to. */
export function webhookEndpoints(tenantId: string): string {
  return `${tenantPrefix(tenantId)}webhook-endpoints`
}

/** endpointId -> consecutive failed deliveries (HINCRBY, reset by a success). */
export function webhookFailureStreaks(tenantId: string): string {
  return `${tenantPrefix(tenantId)}webhook-streaks`
}

/** One event message as emitted (JSON, with a TTL): what every delivery of it sends. */
export function webhookMessage(tenantId: string, messageId: string): string {
  return `${tenantPrefix(tenantId)}webhook-msg:${messageId}`
}

/** The state of one message's delivery to one endpoint: its attempt count and outcome. */
export function webhookDelivery(tenantId: string, endpointId: string, messageId: string): string {
  return `${tenantPrefix(tenantId)}webhook-delivery:${endpointId}:${messageId}`
}

/** The endpoint's attempt log, newest first, capped. */
export function webhookAttempts(tenantId: string, endpointId: string): string {
  return `${tenantPrefix(tenantId)}webhook-attempts:${endpointId}`
}
