/**
 * @module
 * Event messages and the sink that emits them. A message is stored once, under its `msg_` id
 * (the `webhook-id` of every delivery and retry of it), with the full object; each delivery job
 * names it, so a queue message stays small and a replay sends the very same event.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import * as z from 'zod/mini'
import type { JobQueue } from '../jobs/queue'
import { randomBase64Url } from '../lib/crypto'
import { lazy } from '../lib/lazy'
import { parseStored } from '../tenancy/records'
import type { EndpointStore } from './endpoints'
import { subscribes } from './endpoints'
import { type EventSink, WEBHOOK_EVENT_TYPES } from './events'
import { webhookMessage } from './keys'

/** Long enough to replay any delivery the log still shows. */
export const MESSAGE_TTL_SECONDS = 30 * 86_400

const StoredMessageSchema = lazy(() =>
  z.object({
    id: z.string(),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    /** ISO time of the event, the same in every attempt. */
    timestamp: z.string(),
    data: z.catchall(z.object({ id: z.string() }), z.unknown()),
  })
)

export type StoredMessage = z.infer<ReturnType<typeof StoredMessageSchema>>

export async function findMessage(
  redis: Redis,
  tenantId: string,
  messageId: string
): Promise<StoredMessage | undefined> {
  const value = await redis.get(webhookMessage(tenantId, messageId))
  return parseStored(StoredMessageSchema(), value, 'webhook message')
}

export type EventSinkOptions = {
  redis: Redis
  jobs: JobQueue
  endpoints: EndpointStore
  clock: () => number
}

export function createEventSink({ redis, jobs, endpoints, clock }: EventSinkOptions): EventSink {
  return {
    async emit(tenantId, event) {
      const targets = (await endpoints.list(tenantId)).filter((endpoint) =>
        subscribes(endpoint, event.type)
      )
      // No endpoint wants it: nothing is stored, nothing is queued.
      if (targets.length === 0) return
      // The whole object is kept only when some endpoint asked for it: a thin subscriber's
      // retries and replays need no more than the id, and nothing else outlives the request.
      const full = targets.some((endpoint) => endpoint.payload === 'full')
      const message: StoredMessage = {
        id: `msg_${randomBase64Url(18)}`,
        type: event.type,
        timestamp: new Date(clock()).toISOString(),
        data: full ? event.data : { id: event.data.id },
      }
      await redis.set(webhookMessage(tenantId, message.id), JSON.stringify(message), {
        ex: MESSAGE_TTL_SECONDS,
      })
      await jobs.sendBatch(
        targets.map((endpoint) => ({
          kind: 'delivery' as const,
          tenantId,
          endpointId: endpoint.id,
          messageId: message.id,
        }))
      )
    },
  }
}
