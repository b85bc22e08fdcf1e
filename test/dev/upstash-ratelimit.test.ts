/**
 * @upstash/ratelimit 2.2 against the Redis REST stand-in. Its scripts carry the Upstash-only
 * `allow-key-locking` shebang flag, so every passing limit() here proves the script rewrite.
 * Windows are an hour long so a test never straddles a window boundary.
 */
import { MultiRegionRatelimit, Ratelimit } from '@upstash/ratelimit'
import { Redis } from '@upstash/redis/cloudflare'
import { describe, expect, inject, it } from 'vitest'

const url = inject('redisRestUrl')
const redis = new Redis({ url, token: inject('redisRestToken') })
const secondRegion = new Redis({ url, token: inject('redisRestToken2') })
const uniquePrefix = () => `test:ratelimit:${crypto.randomUUID()}`

type Limiter = ConstructorParameters<typeof Ratelimit>[0]['limiter']

/** A short timeout: a broken stand-in must not pass as a `timeout` success. */
function ratelimit(limiter: Limiter) {
  return new Ratelimit({ redis, limiter, prefix: uniquePrefix(), timeout: 2_000 })
}

async function limitSequentially(limiter: Ratelimit, identifier: string, times: number) {
  const results = []
  for (let i = 0; i < times; i++) {
    const result = await limiter.limit(identifier)
    await result.pending
    expect(result.reason).toBeUndefined()
    results.push(result)
  }
  return results
}

describe('@upstash/ratelimit against the stand-in', () => {
  it('fixedWindow admits the limit, then denies; getRemaining and resetUsedTokens work', async () => {
    const limiter = ratelimit(Ratelimit.fixedWindow(3, '1 h'))
    const results = await limitSequentially(limiter, 'user', 4)
    expect(results.map((r) => [r.success, r.remaining, r.limit])).toEqual([
      [true, 2, 3],
      [true, 1, 3],
      [true, 0, 3],
      [false, 0, 3],
    ])
    expect((await limiter.getRemaining('user')).remaining).toBe(0)
    await limiter.resetUsedTokens('user')
    expect((await limiter.getRemaining('user')).remaining).toBe(3)
  })

  it('slidingWindow admits the limit, then denies', async () => {
    const limiter = ratelimit(Ratelimit.slidingWindow(4, '1 h'))
    const results = await limitSequentially(limiter, 'user', 5)
    expect(results.map((r) => r.success)).toEqual([true, true, true, true, false])
    expect(results[2]?.remaining).toBe(1)
    expect((await limiter.getRemaining('user')).remaining).toBe(0)
  })

  it('tokenBucket starts full, charges the rate and denies when empty', async () => {
    const limiter = ratelimit(Ratelimit.tokenBucket(1, '1 h', 5))
    const first = await limiter.limit('user', { rate: 3 })
    expect([first.success, first.remaining, first.reason]).toEqual([true, 2, undefined])
    const second = await limiter.limit('user', { rate: 3 })
    expect(second.success).toBe(false)
    expect((await limiter.getRemaining('user')).remaining).toBe(2)
    await limiter.resetUsedTokens('user')
    expect((await limiter.getRemaining('user')).remaining).toBe(5)
  })

  it('cachedFixedWindow admits the limit, then denies', async () => {
    const limiter = ratelimit(Ratelimit.cachedFixedWindow(2, '1 h'))
    const results = await limitSequentially(limiter, 'user', 3)
    expect(results.map((r) => r.success)).toEqual([true, true, false])
  })

  it('refunds with a negative rate', async () => {
    const limiter = ratelimit(Ratelimit.fixedWindow(2, '1 h'))
    const used = await limitSequentially(limiter, 'user', 3)
    expect(used.map((r) => r.success)).toEqual([true, true, false])
    // The fixed window counts denied calls too: 3 used, the refund brings it back to 1.
    const refund = await limiter.limit('user', { rate: -2 })
    expect([refund.success, refund.remaining]).toEqual([true, 1])
    // The refund also lifts the ephemeral cache's block, so these go to Redis again.
    const after = await limitSequentially(limiter, 'user', 2)
    expect(after.map((r) => r.success)).toEqual([true, false])
  })

  for (const [name, limiter] of [
    ['fixedWindow', Ratelimit.fixedWindow(50, '1 h')],
    ['slidingWindow', Ratelimit.slidingWindow(50, '1 h')],
    ['tokenBucket', Ratelimit.tokenBucket(1, '1 h', 50)],
  ] as const) {
    it(`${name}: 200 concurrent limit() calls against 50 admit exactly 50`, async () => {
      const ratelimiter = new Ratelimit({
        redis,
        limiter,
        prefix: uniquePrefix(),
        timeout: 5_000,
        ephemeralCache: false,
      })
      const results = await Promise.all(Array.from({ length: 200 }, () => ratelimiter.limit('hot')))
      expect(results.filter((r) => r.reason !== undefined)).toEqual([])
      expect(results.filter((r) => r.success)).toHaveLength(50)
    })
  }

  it('MultiRegionRatelimit limits across two independent databases and syncs them', async () => {
    const prefix = uniquePrefix()
    const marker = `${prefix}:marker`
    await redis.set(marker, 'first region only')
    expect(await secondRegion.get(marker)).toBeNull()

    const limiter = new MultiRegionRatelimit({
      redis: [redis, secondRegion],
      limiter: MultiRegionRatelimit.fixedWindow(3, '1 h'),
      prefix,
      timeout: 2_000,
    })
    const results = []
    for (let i = 0; i < 4; i++) {
      const result = await limiter.limit('user')
      await result.pending
      results.push(result)
    }
    expect(results.map((r) => [r.success, r.reason])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
      [false, undefined],
    ])
    // After the pending sync both regions hold the same request ids, the denied one included.
    const [firstKeys, secondKeys] = await Promise.all([
      redis.keys(`${prefix}:user:*`),
      secondRegion.keys(`${prefix}:user:*`),
    ])
    expect(firstKeys).toHaveLength(1)
    expect(secondKeys).toEqual(firstKeys)
    const [first, second] = await Promise.all(
      [redis, secondRegion].map((region) => region.hkeys(firstKeys[0] ?? ''))
    )
    expect(first).toHaveLength(4)
    expect(second?.sort()).toEqual(first?.sort())
  })
})
