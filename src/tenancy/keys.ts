/**
 * @module
 * Tenant API keys: `sk-gw-` followed by 32 base64url characters (192 random bits). The secret is
 * shown once, at creation or rotation; Redis keeps only its SHA-256 digest, indexed globally so
 * a request finds its tenant in one lookup.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { randomBase64Url, sha256Hex } from '../lib/crypto'
import {
  KEY_OWNERS,
  secretIndex,
  TENANTS,
  tenantKeys,
  tenantKeysLastUsed,
} from '../upstash/keyspace'
import type { ResolvedKey } from './key-cache'
import {
  type KeyRecord,
  KeyRecordSchema,
  parseStored,
  type SecretIndexEntry,
  SecretIndexSchema,
  TenantRecordSchema,
} from './records'
import type { CreateKeyInput } from './schema'
import { toTenantContext } from './tenants'
import type { ApiKeyContext } from './types'

export const KEY_PREFIX = 'sk-gw-'
const SECRET_PATTERN = /^sk-gw-[A-Za-z0-9_-]{32}$/
const DISPLAYED_PREFIX_LENGTH = 10

export function isWellFormedSecret(secret: string): boolean {
  return SECRET_PATTERN.test(secret)
}

function newSecret(): string {
  return `${KEY_PREFIX}${randomBase64Url(24)}`
}

function newKeyId(): string {
  return `key_${randomBase64Url(12)}`
}

export async function createKey(
  redis: Redis,
  tenantId: string,
  input: CreateKeyInput
): Promise<{ record: KeyRecord; secret: string }> {
  const secret = newSecret()
  const record: KeyRecord = {
    id: newKeyId(),
    tenant_id: tenantId,
    name: input.name,
    prefix: secret.slice(0, DISPLAYED_PREFIX_LENGTH),
    secret_hash: await sha256Hex(secret),
    scopes: input.scopes,
    created_at: new Date().toISOString(),
    expires_at: input.expires_at && new Date(input.expires_at).toISOString(),
    requests_per_minute: input.requests_per_minute,
    budget: input.budget,
    guardrails: input.guardrails,
    retired: [],
  }
  const entry: SecretIndexEntry = { key_id: record.id, tenant_id: tenantId }
  await redis
    .multi()
    .hset(tenantKeys(tenantId), { [record.id]: JSON.stringify(record) })
    .hset(KEY_OWNERS, { [record.id]: tenantId })
    .set(secretIndex(record.secret_hash), JSON.stringify(entry))
    .exec()
  return { record, secret }
}

export type ListedKey = KeyRecord & { last_used_at: string | null }

export async function listKeys(redis: Redis, tenantId: string): Promise<ListedKey[]> {
  const [records, lastUsed] = await Promise.all([
    redis.hgetall<Record<string, unknown>>(tenantKeys(tenantId)),
    redis.hgetall<Record<string, unknown>>(tenantKeysLastUsed(tenantId)),
  ])
  return Object.values(records ?? {})
    .map((value) => parseStored(KeyRecordSchema(), value, 'key'))
    .filter((record): record is KeyRecord => record !== undefined)
    .map((record) => ({ ...record, last_used_at: stringOrNull(lastUsed?.[record.id]) }))
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

export async function findKey(redis: Redis, keyId: string): Promise<KeyRecord | undefined> {
  const tenantId = await redis.hget<string>(KEY_OWNERS, keyId)
  if (typeof tenantId !== 'string') return undefined
  return parseStored(KeyRecordSchema(), await redis.hget(tenantKeys(tenantId), keyId), 'key')
}

/** Every digest that can still authenticate as this key. */
export function liveSecretHashes(record: KeyRecord): string[] {
  return [record.secret_hash, ...record.retired.map((retired) => retired.secret_hash)]
}

export async function revokeKey(redis: Redis, record: KeyRecord): Promise<KeyRecord> {
  const revoked: KeyRecord = { ...record, revoked_at: new Date().toISOString(), retired: [] }
  await redis
    .multi()
    .hset(tenantKeys(record.tenant_id), { [record.id]: JSON.stringify(revoked) })
    .del(...liveSecretHashes(record).map(secretIndex))
    .exec()
  return revoked
}

/** A new secret; the old one keeps working for `graceSeconds`, then its index entry expires. */
export async function rotateKey(
  redis: Redis,
  record: KeyRecord,
  graceSeconds: number
): Promise<{ record: KeyRecord; secret: string }> {
  const secret = newSecret()
  const now = Date.now()
  const until = new Date(now + graceSeconds * 1000).toISOString()
  const stillRetiring = record.retired.filter((retired) => Date.parse(retired.until) > now)
  const rotated: KeyRecord = {
    ...record,
    prefix: secret.slice(0, DISPLAYED_PREFIX_LENGTH),
    secret_hash: await sha256Hex(secret),
    rotated_at: new Date(now).toISOString(),
    retired:
      graceSeconds > 0
        ? [...stillRetiring, { secret_hash: record.secret_hash, until }]
        : stillRetiring,
  }
  const current: SecretIndexEntry = { key_id: record.id, tenant_id: record.tenant_id }
  const transaction = redis
    .multi()
    .hset(tenantKeys(record.tenant_id), { [record.id]: JSON.stringify(rotated) })
    .set(secretIndex(rotated.secret_hash), JSON.stringify(current))
  if (graceSeconds > 0) {
    const retiring: SecretIndexEntry = { ...current, until }
    transaction.set(secretIndex(record.secret_hash), JSON.stringify(retiring), {
      px: graceSeconds * 1000,
    })
  } else {
    transaction.del(secretIndex(record.secret_hash))
  }
  await transaction.exec()
  return { record: rotated, secret }
}

export type KeyResolution = ResolvedKey | 'invalid' | 'expired'

/** Finds the tenant and key a secret digest belongs to. Redis errors propagate. */
export async function resolveSecret(redis: Redis, secretHash: string): Promise<KeyResolution> {
  const entry = parseStored(SecretIndexSchema(), await redis.get(secretIndex(secretHash)), 'secret')
  if (!entry) return 'invalid'
  const found = await resolveKeyId(redis, entry.tenant_id, entry.key_id)
  if (typeof found !== 'object') return found
  return checkValidity({
    ...found.resolved,
    graceUntil: entry.until === undefined ? undefined : Date.parse(entry.until),
  })
}

/**
 * Finds a key by its ids (end-user credentials name the key that minted them), with its current
 * secret's digest, under which the isolate cache files it. Redis errors propagate.
 */
export async function resolveKeyId(
  redis: Redis,
  tenantId: string,
  keyId: string
): Promise<{ resolved: ResolvedKey; secretHash: string } | 'invalid' | 'expired'> {
  const [keyValue, tenantValue] = await redis
    .pipeline()
    .hget(tenantKeys(tenantId), keyId)
    .hget(TENANTS, tenantId)
    .exec()
  const key = parseStored(KeyRecordSchema(), keyValue, 'key')
  const tenant = parseStored(TenantRecordSchema(), tenantValue, 'tenant')
  if (!key || !tenant || key.revoked_at || key.tenant_id !== tenantId) return 'invalid'
  const resolution = checkValidity({
    tenant: toTenantContext(tenant),
    apiKey: toApiKeyContext(key),
    expiresAt: key.expires_at === undefined ? undefined : Date.parse(key.expires_at),
    graceUntil: undefined,
  })
  return typeof resolution === 'object'
    ? { resolved: resolution, secretHash: key.secret_hash }
    : resolution
}

/** Checked on every request, cached or not: a key can expire while its entry is cached. */
export function checkValidity(resolved: ResolvedKey): KeyResolution {
  const now = Date.now()
  if (resolved.expiresAt !== undefined && resolved.expiresAt <= now) return 'expired'
  // A secret past its rotation grace is simply not valid any more.
  if (resolved.graceUntil !== undefined && resolved.graceUntil <= now) return 'invalid'
  return resolved
}

function toApiKeyContext(record: KeyRecord): ApiKeyContext {
  return {
    id: record.id,
    tenantId: record.tenant_id,
    name: record.name,
    scopes: record.scopes,
    requestsPerMinute: record.requests_per_minute,
    budget: record.budget,
    guardrails: record.guardrails,
    expiresAt: record.expires_at === undefined ? undefined : Date.parse(record.expires_at),
  }
}

/** Best effort, off the request path: a lost write only makes `last_used_at` a little older. */
export async function touchKey(redis: Redis, apiKey: ApiKeyContext): Promise<void> {
  await redis.hset(tenantKeysLastUsed(apiKey.tenantId), { [apiKey.id]: new Date().toISOString() })
}
