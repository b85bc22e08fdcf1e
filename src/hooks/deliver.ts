/**
 * @module
 * One inbound delivery, from raw bytes to a queued background response. The checks run cheapest
 * first, and every refusal comes before anything is executed: size (413), hook (404), signature
 * and timestamp (401), payload (400). Only then is the response started, as the key that created
 * the hook, with the delivery id as its idempotency key, so a sender's retry (or a replayed copy)
 * of an accepted delivery gets the same response and never runs twice.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { GatewayConfig } from '../config'
import { GatewayError } from '../errors'
import type { BackgroundCaller, BackgroundOptions } from '../ingress/responses/background'
import type { ResponsesRequest } from '../ingress/responses/schema'
import { sha256Hex } from '../lib/crypto'
import { isRecord } from '../lib/json'
import { MAX_JSON_DEPTH, nestingExceeds, readLimitedBytes, tooLarge } from '../lib/json-body'
import { resolveKeyId } from '../tenancy/keys'
import { allowsEndpoint } from '../tenancy/scopes'
import { openSecret } from './manage'
import { verifyDelivery } from './signatures'
import { findHook, type HookRecord } from './store'
import { parseTemplate, renderTemplate } from './template'

/** GitHub caps its payloads at 25 MB, but real events are far smaller; this is ours. */
export const MAX_DELIVERY_BYTES = 256 * 1024

export type StartResponse = (
  caller: BackgroundCaller,
  request: ResponsesRequest,
  options: BackgroundOptions
) => Promise<{ id: string }>

export type DeliveryDeps = {
  redis: Redis
  config: GatewayConfig
  clock: () => number
  start: StartResponse
}

export type DeliveryOutcome =
  | { kind: 'queued'; responseId: string; hookId: string }
  /** Slack's url_verification: answered with its challenge, no model call. */
  | { kind: 'challenge'; challenge: string }

export type IncomingDelivery = {
  hookId: string
  headers: Headers
  body: ReadableStream<Uint8Array> | null
}

export async function receiveDelivery(
  deps: DeliveryDeps,
  delivery: IncomingDelivery
): Promise<DeliveryOutcome> {
  if (Number(delivery.headers.get('content-length')) > MAX_DELIVERY_BYTES) {
    throw tooLarge(MAX_DELIVERY_BYTES)
  }
  const found = await findHook(deps.redis, delivery.hookId)
  if (!found?.hook.enabled) throw hookNotFound(delivery.hookId)
  const { tenantId, hook } = found
  const body = await readLimitedBytes(delivery.body, MAX_DELIVERY_BYTES)
  const verified = await verifyDelivery(hook.verifier, {
    headers: delivery.headers,
    body,
    secret: await openSecret(deps.config, tenantId, hook),
    now: deps.clock(),
    toleranceSeconds: hook.tolerance_seconds,
  })
  const payload = parsePayload(delivery.headers.get('content-type'), body)
  if (hook.verifier === 'slack' && isRecord(payload) && payload.type === 'url_verification') {
    return { kind: 'challenge', challenge: String(payload.challenge ?? '') }
  }
  const input = renderPrompt(hook, payload)
  const caller = await hookCaller(deps.redis, tenantId, hook)
  const deliveryId = eventId(hook, payload) ?? verified.deliveryId
  // A digest: ids a sender makes up (Stripe's t and signatures) can be long.
  const digest = deliveryId === undefined ? undefined : await sha256Hex(deliveryId)
  // The delivery id is the background response's idempotency key (kept 24 h): a sender's retry
  // of a delivery, or a replayed copy, gets the same response back with a 202, and nothing runs
  // twice. Senders count anything but a 2xx as a failed delivery and would keep retrying.
  const response = await deps.start(caller, responsesRequest(hook, input), {
    hookId: hook.id,
    idempotencyKey: digest === undefined ? undefined : `hook:${hook.id}:${digest}`,
  })
  return { kind: 'queued', responseId: response.id, hookId: hook.id }
}

/**
 * Stripe and Slack retry an event with a fresh timestamp and signature: their event id is what
 * stays the same, so it is the delivery id when the payload carries one.
 */
function eventId(hook: HookRecord, payload: unknown): string | undefined {
  if (!isRecord(payload)) return undefined
  const id =
    hook.verifier === 'stripe'
      ? payload.id
      : hook.verifier === 'slack'
        ? payload.event_id
        : undefined
  return typeof id === 'string' && id !== '' ? id : undefined
}

/**
 * JSON, or a form whose `payload` field is JSON (GitHub's form content type, Slack's interactive
 * payloads); a form without one (Slack's slash commands) is its fields.
 */
function parsePayload(contentType: string | null, body: Uint8Array): unknown {
  const text = new TextDecoder().decode(body)
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
    const form = new URLSearchParams(text)
    const json = form.get('payload')
    return json === null ? Object.fromEntries(form) : parseJson(json)
  }
  return parseJson(text)
}

function parseJson(text: string): unknown {
  if (nestingExceeds(text, MAX_JSON_DEPTH)) {
    throw new GatewayError(400, `The payload nests deeper than ${MAX_JSON_DEPTH} levels.`, {
      code: 'json_too_deep',
    })
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new GatewayError(400, 'The payload is not JSON.', { code: 'invalid_json' })
  }
}

function renderPrompt(hook: HookRecord, payload: unknown): string {
  const parsed = parseTemplate(hook.template)
  // Templates are checked when saved; one that no longer parses is a stored record gone wrong.
  if ('problem' in parsed) throw new Error(`Stored template of ${hook.id}: ${parsed.problem}`)
  const prompt = renderTemplate(parsed.parts, payload)
  if (prompt.trim() === '') {
    throw new GatewayError(400, 'The hook template renders empty for this payload.', {
      code: 'empty_prompt',
    })
  }
  return prompt
}

/** The hook acts as the key that created it; a revoked key leaves a hook that answers nothing. */
async function hookCaller(
  redis: Redis,
  tenantId: string,
  hook: HookRecord
): Promise<BackgroundCaller> {
  const found = await resolveKeyId(redis, tenantId, hook.key_id)
  if (typeof found !== 'object' || !allowsEndpoint(found.resolved.apiKey, '/v1/responses')) {
    throw hookNotFound(hook.id)
  }
  return { tenant: found.resolved.tenant, apiKey: found.resolved.apiKey }
}

function responsesRequest(hook: HookRecord, input: string): ResponsesRequest {
  return {
    model: hook.model,
    input,
    instructions: hook.instructions,
    max_output_tokens: hook.max_output_tokens,
    temperature: hook.temperature,
    store: true,
    metadata: { hook_id: hook.id },
  }
}

/** Unknown, disabled or unusable: one answer, so a guessed id learns nothing. */
export function hookNotFound(id: string): GatewayError {
  return new GatewayError(404, `No hook ${id}.`, { code: 'hook_not_found' })
}
