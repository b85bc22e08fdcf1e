import { describe, expect, it } from 'vitest'
import { addCounters } from '../../src/stores/counter-batch'
import { gatewayRedis } from '../tenancy/fixtures'

describe('addCounters', () => {
  it('refuses a non-finite or fractional amount without losing the batch it would have joined', async () => {
    const redis = gatewayRedis()
    const key = `test:counter-batch:${crypto.randomUUID()}`
    const ttl = { [key]: 60 }
    // Opens the batch: its promise is the flush, which must still succeed.
    const written = addCounters(redis, [{ key, amount: 5 }], ttl)
    for (const amount of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, 2 ** 64]) {
      await expect(addCounters(redis, [{ key, amount }], ttl)).rejects.toThrow(RangeError)
    }
    await expect(
      addCounters(redis, [{ key, field: 'f', amount: Number.NaN, float: true }], ttl)
    ).rejects.toThrow(/hash counter increment of NaN/)
    await written
    expect(await redis.get(key)).toBe(5)
  })
})
