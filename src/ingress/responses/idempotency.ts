/**
 * @module
 * `Idempotency-Key` on background creates: the first create with a key claims it for its response
 * id and a fingerprint of its request; a retry with the same key and request gets that response
 * back, the same key with another request is refused. Keys are scoped by the caller (the record
 * key names tenant and API key) and kept 24 h.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { GatewayError } from '../../errors'

export type IdempotencyRecord = { response_id: string; fingerprint: string }

/** Where claims live; narrow, so the claim logic runs on an in-memory fake in tests. */
export type IdempotencyRecords = {
  /** Stores the record unless the key already holds one; true when it was stored. */
  claim(key: string, record: IdempotencyRecord): Promise<boolean>
  read(key: string): Promise<IdempotencyRecord | undefined>
  forget(key: string): Promise<void>
}

const IDEMPOTENCY_SECONDS = 86_400
const MAX_KEY_LENGTH = 255

export function redisIdempotency(redis: Redis): IdempotencyRecords {
  return {
    async claim(key, record) {
      const stored = await redis.set(key, JSON.stringify(record), {
        nx: true,
        ex: IDEMPOTENCY_SECONDS,
      })
      return stored === 'OK'
    },
    async read(key) {
      return (await redis.get<IdempotencyRecord>(key)) ?? undefined
    },
    async forget(key) {
      await redis.del(key)
    },
  }
}

/** The header's value, refused with a 400 when it is empty or too long. */
export function checkedIdempotencyKey(value: string): string {
  if (value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new GatewayError(400, `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters.`, {
      param: 'Idempotency-Key',
      code: 'invalid_idempotency_key',
    })
  }
  return value
}

/**
 * Claims `key` for `record`, or finds what an earlier create with it made (`current` reads the
 * response it named). A create still being written when its retry arrives is a 409 to retry.
 */
export async function claimIdempotency<T>(
  records: IdempotencyRecords,
  key: string,
  record: IdempotencyRecord,
  current: (responseId: string) => Promise<T | undefined>
): Promise<{ claimed: true } | { existing: T }> {
  if (await records.claim(key, record)) return { claimed: true }
  const held = await records.read(key)
  if (held && held.fingerprint !== record.fingerprint) {
    throw new GatewayError(
      409,
      'This Idempotency-Key was already used with a different request body; use a new key.',
      { param: 'Idempotency-Key', code: 'idempotency_key_reused' }
    )
  }
  const existing = held ? await current(held.response_id) : undefined
  if (existing === undefined) {
    throw new GatewayError(409, 'A request with this Idempotency-Key is still being created.', {
      param: 'Idempotency-Key',
      code: 'idempotency_key_in_use',
      headers: { 'retry-after': '1' },
    })
  }
  return { existing }
}
