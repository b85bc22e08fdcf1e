/**
 * @module
 * The events the gateway sends to a tenant's webhook endpoints. `emit` is all the rest of the
 * code sees: it resolves once the event is stored and one delivery per subscribed endpoint is on
 * the queue, so a caller that awaited it knows nothing will be lost.
 */

/** Every event type, as endpoints subscribe to them (validated against this list). */
export const WEBHOOK_EVENT_TYPES = [
  'response.completed',
  'response.failed',
  'response.cancelled',
  'response.incomplete',
  'budget.soft_limit_reached',
  'budget.hard_limit_reached',
  'hook.completed',
  'hook.failed',
  'alert.error_rate',
  'alert.latency',
] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** `data` is the full object; endpoints that asked for thin payloads get only its `id`. */
export type WebhookEvent = {
  type: WebhookEventType
  data: { id: string } & Record<string, unknown>
}

export type EventSink = { emit(tenantId: string, event: WebhookEvent): Promise<void> }
