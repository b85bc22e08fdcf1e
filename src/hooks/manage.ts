/**
 * @module
 * Creating and changing hooks. The secret is checked against what its verifier needs, sealed
 * before it is stored and shown only in the answer to the create; a `standard-webhooks` hook
 * without one gets a generated `whsec_` secret. The template is parsed at creation, so a broken
 * one is a 400 to the tenant, not a failed delivery later.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { GatewayConfig } from '../config'
import { GatewayError } from '../errors'
import { randomBase64Url, seal, unseal } from '../lib/crypto'
import { encryptionKey } from '../tenancy/credentials'
import { generateWebhookSecret, standardWebhooksKey } from '../webhooks/signature'
import type { CreateHookInput, UpdateHookInput } from './schema'
import type { Verifier } from './signatures'
import { type HookRecord, saveHook } from './store'
import { parseTemplate } from './template'

type HookDeps = { redis: Redis; config: GatewayConfig; clock: () => number }

/** The spec's range for a symmetric key (anchors: Standard Webhooks 1.0.0). */
const SIGNING_KEY_BYTES = { min: 24, max: 64 }
const MIN_BEARER_TOKEN_CHARS = 16
const SECRET_PURPOSE = 'hook secrets'

export async function createHook(
  deps: HookDeps,
  owner: { tenantId: string; keyId: string },
  input: CreateHookInput
): Promise<{ record: HookRecord; secret: string }> {
  checkTemplate(input.template)
  const secret = input.secret ?? generatedSecret(input.verifier)
  checkSecret(input.verifier, secret)
  const id = `hook_${randomBase64Url(18)}`
  const now = Math.floor(deps.clock() / 1000)
  const record: HookRecord = {
    id,
    key_id: owner.keyId,
    name: input.name ?? null,
    verifier: input.verifier,
    secret_sealed: await sealSecret(deps.config, owner.tenantId, id, secret),
    template: input.template,
    instructions: input.instructions ?? null,
    model: input.model,
    max_output_tokens: input.max_output_tokens ?? null,
    temperature: input.temperature ?? null,
    enabled: input.enabled,
    tolerance_seconds: input.tolerance_seconds,
    created_at: now,
    updated_at: now,
  }
  await saveHook(deps.redis, owner.tenantId, record)
  return { record, secret }
}

export async function updateHook(
  deps: HookDeps,
  tenantId: string,
  record: HookRecord,
  input: UpdateHookInput
): Promise<HookRecord> {
  if (input.template !== undefined) checkTemplate(input.template)
  if (input.secret !== undefined) checkSecret(record.verifier, input.secret)
  const { secret, ...fields } = input
  const updated: HookRecord = {
    ...record,
    ...definedFields(fields),
    updated_at: Math.floor(deps.clock() / 1000),
  }
  if (secret !== undefined) {
    updated.secret_sealed = await sealSecret(deps.config, tenantId, record.id, secret)
  }
  await saveHook(deps.redis, tenantId, updated)
  return updated
}

/** Absent fields keep the stored value; `null` clears an optional one. */
function definedFields(fields: Omit<UpdateHookInput, 'secret'>): Partial<HookRecord> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
}

export function openSecret(
  config: GatewayConfig,
  tenantId: string,
  record: HookRecord
): Promise<string> {
  return unseal(
    record.secret_sealed,
    encryptionKey(config, SECRET_PURPOSE),
    sealContext(tenantId, record.id)
  )
}

function sealSecret(
  config: GatewayConfig,
  tenantId: string,
  hookId: string,
  secret: string
): Promise<string> {
  return seal(secret, encryptionKey(config, SECRET_PURPOSE), sealContext(tenantId, hookId))
}

function sealContext(tenantId: string, hookId: string): string {
  return `tenant:${tenantId}:hook:${hookId}`
}

function checkTemplate(template: string): void {
  const parsed = parseTemplate(template)
  if ('problem' in parsed) {
    throw new GatewayError(400, `Invalid template: ${parsed.problem}.`, {
      param: 'template',
      code: 'invalid_template',
    })
  }
}

/** The other senders make their own secrets: the tenant copies it from their settings page. */
function generatedSecret(verifier: Verifier): string {
  if (verifier === 'standard-webhooks') return generateWebhookSecret()
  throw invalidSecret(`A ${verifier} hook needs the secret its sender signs with.`)
}

function checkSecret(verifier: Verifier, secret: string): void {
  if (verifier === 'standard-webhooks') {
    let length = 0
    try {
      length = standardWebhooksKey(secret).byteLength
    } catch {
      // Not base64: reported below with the rest.
    }
    if (length < SIGNING_KEY_BYTES.min || length > SIGNING_KEY_BYTES.max) {
      throw invalidSecret(
        `A standard-webhooks secret is whsec_ followed by the base64 of ${SIGNING_KEY_BYTES.min} to ${SIGNING_KEY_BYTES.max} bytes.`
      )
    }
  }
  if (verifier === 'bearer' && secret.length < MIN_BEARER_TOKEN_CHARS) {
    throw invalidSecret(`A bearer token must be at least ${MIN_BEARER_TOKEN_CHARS} characters.`)
  }
}

function invalidSecret(message: string): GatewayError {
  return new GatewayError(400, message, { param: 'secret', code: 'invalid_secret' })
}
