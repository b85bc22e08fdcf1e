/**
 * The write batch's counter script on the real Redis behind the stand-in (the unit tests decode
 * its arguments in TypeScript; this runs the Lua itself): increments and expiries applied, and
 * an increment Redis refuses fails alone.
 */
import { describe, expect, it } from 'vitest'
import { createWriteBatch } from '../../src/upstash/write-batch'
import { uniqueTag } from '../helpers/gateway'
import { gatewayRedis } from '../tenancy/fixtures'

const redis = gatewayRedis()

describe('counter script on Redis', () => {
  it('applies every increment and expiry, and loses only the one Redis refuses', async () => {
    const tag = uniqueTag()
    const [counter, hash, wrongType] = [`${tag}:n`, `${tag}:h`, `${tag}:s`]
    await redis.set(wrongType, 'not a hash')
    const reports: Array<{ what: string; detail?: Record<string, number> }> = []
    const batch = createWriteBatch({
      redis,
      report: (what, _error, detail) => reports.push({ what, detail }),
      flushAfterMs: 1,
    })
    await batch.count(
      [
        { key: counter, amount: 3 },
        { key: hash, field: 'tokens', amount: 5 },
        { key: wrongType, field: 'tokens', amount: 1 },
        { key: hash, field: 'cost', amount: 0.25, float: true },
      ],
      { [hash]: 120 }
    )
    expect(await redis.get(counter)).toBe(3)
    const fields = await redis.hgetall<Record<string, unknown>>(hash)
    expect(Number(fields?.tokens)).toBe(5)
    expect(Number(fields?.cost)).toBe(0.25)
    const ttl = await redis.ttl(hash)
    expect(ttl).toBeGreaterThan(100)
    expect(ttl).toBeLessThanOrEqual(120)
    expect(await redis.get(wrongType)).toBe('not a hash')
    expect(batch.backlog()).toBe(0)
    expect(reports).toEqual([{ what: 'metering lost', detail: { increments: 1 } }])
  })
})
