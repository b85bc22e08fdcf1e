import { describe, expect, it } from 'vitest'
import {
  checkedIdempotencyKey,
  claimIdempotency,
  type IdempotencyRecord,
  type IdempotencyRecords,
} from '../../../src/ingress/responses/idempotency'

/** Claims in a Map: the same semantics as SET NX, without Redis. */
function memoryRecords(): IdempotencyRecords & { held: Map<string, IdempotencyRecord> } {
  const held = new Map<string, IdempotencyRecord>()
  return {
    held,
    claim: async (key, record) => {
      if (held.has(key)) return false
      held.set(key, record)
      return true
    },
    read: async (key) => held.get(key),
    forget: async (key) => {
      held.delete(key)
    },
  }
}

const first = { response_id: 'resp_1', fingerprint: 'body-a' }
const responses = new Map([['resp_1', { id: 'resp_1', status: 'queued' }]])
const current = async (id: string) => responses.get(id)

describe('Idempotency-Key claims', () => {
  it('lets the first create claim the key, and gives its retries the same response', async () => {
    const records = memoryRecords()
    expect(await claimIdempotency(records, 'k', first, current)).toEqual({ claimed: true })
    const retry = { response_id: 'resp_2', fingerprint: 'body-a' }
    expect(await claimIdempotency(records, 'k', retry, current)).toEqual({
      existing: { id: 'resp_1', status: 'queued' },
    })
    expect(records.held.get('k')).toEqual(first)
  })

  it('refuses the key with another body', async () => {
    const records = memoryRecords()
    await claimIdempotency(records, 'k', first, current)
    await expect(
      claimIdempotency(records, 'k', { response_id: 'resp_3', fingerprint: 'body-b' }, current)
    ).rejects.toMatchObject({ status: 409, code: 'idempotency_key_reused' })
  })

  it('asks a retry to come back while the first create is still being written', async () => {
    const records = memoryRecords()
    await claimIdempotency(records, 'k', { response_id: 'resp_9', fingerprint: 'x' }, current)
    await expect(
      claimIdempotency(records, 'k', { response_id: 'resp_10', fingerprint: 'x' }, current)
    ).rejects.toMatchObject({
      status: 409,
      code: 'idempotency_key_in_use',
      headers: { 'retry-after': '1' },
    })
  })

  it('scopes keys by the record key: another caller claims the same header value afresh', async () => {
    const records = memoryRecords()
    await claimIdempotency(records, 'tenant-a:k', first, current)
    expect(await claimIdempotency(records, 'tenant-b:k', first, current)).toEqual({ claimed: true })
  })

  it('takes keys of 1 to 255 characters', () => {
    expect(checkedIdempotencyKey('a'.repeat(255))).toHaveLength(255)
    expect(() => checkedIdempotencyKey('')).toThrow(/1 to 255/)
    expect(() => checkedIdempotencyKey('a'.repeat(256))).toThrow(/1 to 255/)
  })
})
