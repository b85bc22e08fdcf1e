/**
 * @module
 * What travels on the `JOBS` queue (wrangler.toml): one message per unit of background work,
 * naming its records in Redis rather than carrying them, so a message stays far below the
 * queue's 128 KB limit and a redelivered message reads the latest state (the consumers are
 * idempotent: delivery is at least once).
 */

/** Run (or resume) a background response stored under the tenant. */
export type ResponseJob = { kind: 'response'; tenantId: string; responseId: string }

/** Attempt one webhook delivery of a stored event message to one endpoint. */
export type DeliveryJob = {
  kind: 'delivery'
  tenantId: string
  endpointId: string
  messageId: string
}

export type JobMessage = ResponseJob | DeliveryJob
export type JobKind = JobMessage['kind']
