/**
 * @module
 * A tenant's webhook endpoints: where events go, which ones, in which payload shape, and the
 * secret that signs them. The secret is generated here, shown once (in the create and rotate
 * answers) and stored sealed under ENCRYPTION_KEY, bound to the tenant and endpoint; a rotation
 * keeps the previous secret signing alongside the new one for a grace period. URLs pass the same
 * SSRF guard as tenant provider base URLs, at save and again at each delivery.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import * as z from 'zod/mini'
import type { GatewayConfig } from '../config'
import { GatewayError } from '../errors'
import { randomBase64Url, seal, unseal } from '../lib/crypto'
import { lazy } from '../lib/lazy'
import { unsafeUpstreamReason } from '../lib/ssrf'
import { encryptionKey } from '../tenancy/credentials'
import { parseStored } from '../tenancy/records'
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events'
import { webhookAttempts, webhookEndpoints, webhookFailureStreaks } from './keys'
import { generateWebhookSecret } from './signature'

/** Every event goes to every endpoint: a bound on the fan-out one emission queues. */
export const MAX_ENDPOINTS_PER_TENANT = 20

const EventTypes = lazy(() => z.array(z.enum(WEBHOOK_EVENT_TYPES)).check(z.minLength(1)))
const Payload = lazy(() => z.enum(['thin', 'full']))
const Description = lazy(() => z.string().check(z.maxLength(500)))

export const CreateEndpointSchema = lazy(() =>
  z.strictObject({
    url: z.string().check(z.maxLength(2048)),
    /** Absent: every event type, including ones added later. */
    event_types: z.optional(EventTypes()),
    description: z.optional(Description()),
    payload: z._default(Payload(), 'thin'),
    enabled: z._default(z.boolean(), true),
  })
)

export const UpdateEndpointSchema = lazy(() =>
  z.strictObject({
    url: z.optional(z.string().check(z.maxLength(2048))),
    event_types: z.optional(z.nullable(EventTypes())),
    description: z.optional(Description()),
    payload: z.optional(Payload()),
    /** `true` also clears `disabled_reason` and the failure streak. */
    enabled: z.optional(z.boolean()),
  })
)

export const RotateSecretSchema = lazy(() =>
  z.strictObject({
    /** How long the previous secret keeps signing; the deployment's setting by default. */
    grace_seconds: z.optional(z.int().check(z.minimum(0), z.maximum(7 * 86_400))),
  })
)

const StoredEndpointSchema = lazy(() =>
  z.object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    event_types: z.nullable(z.array(z.enum(WEBHOOK_EVENT_TYPES))),
    payload: Payload(),
    enabled: z.boolean(),
    disabled_reason: z.nullable(z.string()),
    disabled_at: z.nullable(z.string()),
    secret_sealed: z.string(),
    previous_secret_sealed: z.optional(z.string()),
    /** Epoch ms until which the previous secret still signs. */
    previous_secret_until: z.optional(z.number()),
    created_at: z.string(),
    updated_at: z.string(),
  })
)

export type EndpointRecord = z.infer<ReturnType<typeof StoredEndpointSchema>>
type CreateInput = z.infer<ReturnType<typeof CreateEndpointSchema>>
type UpdateInput = z.infer<ReturnType<typeof UpdateEndpointSchema>>

export type EndpointStoreOptions = {
  redis: Redis
  config: Pick<GatewayConfig, 'encryptionKey' | 'environment' | 'allowLoopbackUpstreams'>
  clock: () => number
}

export type EndpointStore = ReturnType<typeof createEndpointStore>

export function createEndpointStore({ redis, config, clock }: EndpointStoreOptions) {
  const now = () => new Date(clock()).toISOString()

  async function sealed(tenantId: string, endpointId: string, secret: string): Promise<string> {
    return seal(
      secret,
      encryptionKey(config, 'webhook endpoint secrets'),
      sealContext(tenantId, endpointId)
    )
  }

  async function put(tenantId: string, record: EndpointRecord): Promise<void> {
    await redis.hset(webhookEndpoints(tenantId), { [record.id]: JSON.stringify(record) })
  }

  const store = {
    async list(tenantId: string): Promise<EndpointRecord[]> {
      const all = await redis.hgetall<Record<string, unknown>>(webhookEndpoints(tenantId))
      return Object.values(all ?? {})
        .flatMap((value) => parseStored(StoredEndpointSchema(), value, 'webhook endpoint') ?? [])
        .sort((a, b) => a.created_at.localeCompare(b.created_at))
    },

    async find(tenantId: string, endpointId: string): Promise<EndpointRecord | undefined> {
      const value = await redis.hget(webhookEndpoints(tenantId), endpointId)
      return parseStored(StoredEndpointSchema(), value, 'webhook endpoint')
    },

    async get(tenantId: string, endpointId: string): Promise<EndpointRecord> {
      const record = await store.find(tenantId, endpointId)
      if (record) return record
      throw new GatewayError(404, `No webhook endpoint with id ${endpointId}.`, {
        code: 'webhook_endpoint_not_found',
      })
    },

    async create(
      tenantId: string,
      input: CreateInput
    ): Promise<{ record: EndpointRecord; secret: string }> {
      checkUrl(input.url, config)
      const count = await redis.hlen(webhookEndpoints(tenantId))
      if (count >= MAX_ENDPOINTS_PER_TENANT) {
        throw new GatewayError(409, `A tenant has at most ${MAX_ENDPOINTS_PER_TENANT} endpoints.`, {
          code: 'too_many_webhook_endpoints',
        })
      }
      const id = `ep_${randomBase64Url(12)}`
      const secret = generateWebhookSecret()
      const at = now()
      const record: EndpointRecord = {
        id,
        url: input.url,
        description: input.description ?? '',
        event_types: input.event_types ?? null,
        payload: input.payload,
        enabled: input.enabled,
        disabled_reason: null,
        disabled_at: null,
        secret_sealed: await sealed(tenantId, id, secret),
        created_at: at,
        updated_at: at,
      }
      await put(tenantId, record)
      return { record, secret }
    },

    async update(tenantId: string, endpointId: string, input: UpdateInput) {
      const current = await store.get(tenantId, endpointId)
      if (input.url !== undefined) checkUrl(input.url, config)
      const enabling = input.enabled === true && !current.enabled
      const disabling = input.enabled === false && current.enabled
      const record: EndpointRecord = {
        ...current,
        url: input.url ?? current.url,
        description: input.description ?? current.description,
        event_types: input.event_types === undefined ? current.event_types : input.event_types,
        payload: input.payload ?? current.payload,
        enabled: input.enabled ?? current.enabled,
        disabled_reason: enabling
          ? null
          : disabling
            ? 'disabled through the API'
            : current.disabled_reason,
        disabled_at: enabling ? null : disabling ? now() : current.disabled_at,
        updated_at: now(),
      }
      await put(tenantId, record)
      if (enabling) await redis.hdel(webhookFailureStreaks(tenantId), endpointId)
      return record
    },

    async remove(tenantId: string, endpointId: string): Promise<void> {
      const removed = await redis.hdel(webhookEndpoints(tenantId), endpointId)
      if (removed === 0) await store.get(tenantId, endpointId)
      await redis
        .pipeline()
        .hdel(webhookFailureStreaks(tenantId), endpointId)
        .del(webhookAttempts(tenantId, endpointId))
        .exec()
    },

    async rotate(tenantId: string, endpointId: string, graceSeconds: number) {
      const current = await store.get(tenantId, endpointId)
      const secret = generateWebhookSecret()
      const until = clock() + graceSeconds * 1000
      const record: EndpointRecord = {
        ...current,
        secret_sealed: await sealed(tenantId, endpointId, secret),
        previous_secret_sealed: current.secret_sealed,
        previous_secret_until: until,
        updated_at: now(),
      }
      await put(tenantId, record)
      return { record, secret, previousValidUntil: new Date(until).toISOString() }
    },

    /** Turns a failing endpoint off; a no-op when it is already off or gone. */
    async disable(tenantId: string, endpointId: string, reason: string): Promise<boolean> {
      const current = await store.find(tenantId, endpointId)
      if (!current?.enabled) return false
      const at = now()
      await put(tenantId, {
        ...current,
        enabled: false,
        disabled_reason: reason,
        disabled_at: at,
        updated_at: at,
      })
      return true
    },

    /** The secrets that sign a delivery now: the current one, then the previous during grace. */
    async signingSecrets(tenantId: string, record: EndpointRecord): Promise<string[]> {
      const key = encryptionKey(config, 'webhook endpoint secrets')
      const context = sealContext(tenantId, record.id)
      const secrets = [await unseal(record.secret_sealed, key, context)]
      if (record.previous_secret_sealed && (record.previous_secret_until ?? 0) > clock()) {
        secrets.push(await unseal(record.previous_secret_sealed, key, context))
      }
      return secrets
    },

    async failureStreaks(tenantId: string): Promise<Record<string, number>> {
      const all = await redis.hgetall<Record<string, unknown>>(webhookFailureStreaks(tenantId))
      return Object.fromEntries(Object.entries(all ?? {}).map(([id, n]) => [id, Number(n)]))
    },
  }
  return store
}

export function subscribes(record: EndpointRecord, type: WebhookEventType): boolean {
  return record.enabled && (record.event_types === null || record.event_types.includes(type))
}

/** What the API shows of an endpoint: never a secret, sealed or not. */
export function endpointView(record: EndpointRecord, consecutiveFailures: number, now: number) {
  const graceUntil = record.previous_secret_until ?? 0
  return {
    id: record.id,
    object: 'webhook_endpoint' as const,
    url: record.url,
    description: record.description,
    event_types: record.event_types,
    payload: record.payload,
    enabled: record.enabled,
    disabled_reason: record.disabled_reason,
    disabled_at: record.disabled_at,
    consecutive_failures: consecutiveFailures,
    previous_secret_valid_until: graceUntil > now ? new Date(graceUntil).toISOString() : null,
    created_at: record.created_at,
    updated_at: record.updated_at,
  }
}

/** Why the URL may not receive deliveries, as the 400 the API answers. */
export function urlRefusal(
  url: string,
  config: EndpointStoreOptions['config']
): string | undefined {
  const reason = unsafeUpstreamReason(url, config)
  if (reason) return reason
  // The guard allows http for development upstreams; an endpoint is https unless on loopback.
  const { protocol, hostname } = new URL(url)
  const loopback = hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname)
  return protocol === 'https:' || (config.allowLoopbackUpstreams && loopback)
    ? undefined
    : 'must use https'
}

function checkUrl(url: string, config: EndpointStoreOptions['config']): void {
  const reason = urlRefusal(url, config)
  if (reason) {
    throw new GatewayError(400, `The webhook URL ${reason}.`, {
      param: 'url',
      code: 'unsafe_webhook_url',
    })
  }
}

function sealContext(tenantId: string, endpointId: string): string {
  return `tenant:${tenantId}:webhook:${endpointId}`
}
