import { describe, expect, it } from 'vitest'
import {
  awayFromWindowEdge,
  chat,
  createKey,
  failure,
  gatewayRedis,
  reportedUsage,
  tenantWithKey,
} from '../tenancy/fixtures'

const redis = gatewayRedis()

function tpmCounter(tenantId: string): string {
  return `gw:t:${tenantId}:rl:tpm:${Math.floor(Date.now() / 60_000)}`
}

describe('requests per minute', () => {
  it('admits exactly 50 of 200 concurrent requests, with OpenAI headers', async () => {
    const { secret } = await tenantWithKey({ limits: { requests_per_minute: 50 } })
    await awayFromWindowEdge()
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => chat(secret, { model: 'mock/burst', max_tokens: 5 }))
    )
    const admitted = responses.filter((r) => r.status === 200)
    const refused = responses.filter((r) => r.status === 429)
    expect(admitted).toHaveLength(50)
    expect(refused).toHaveLength(150)

    const remaining = admitted.map((r) => Number(r.headers.get('x-ratelimit-remaining-requests')))
    expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    for (const response of admitted) {
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('50')
      expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?m?s$/)
      await response.body?.cancel()
    }
    for (const response of refused) {
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('50')
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0')
      const retryAfter = Number(response.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect(await failure(response)).toMatchObject({
        type: 'rate_limit_exceeded',
        code: 'requests_per_minute_exceeded',
      })
    }
  })

  it('limits each key on its own and the tenant as a whole', async () => {
    const { tenantId, secret } = await tenantWithKey(
      { limits: { requests_per_minute: 6, key_requests_per_minute: 4 } },
      {}
    )
    const second = await createKey(tenantId, { requests_per_minute: 2 })
    await awayFromWindowEdge()
    const first = await Promise.all(
      Array.from({ length: 10 }, () => chat(secret, { model: 'mock/k', max_tokens: 3 }))
    )
    const other = await Promise.all(
      Array.from({ length: 10 }, () => chat(second.secret, { model: 'mock/k', max_tokens: 3 }))
    )
    const ok = (list: Response[]) => list.filter((r) => r.status === 200).length
    expect(ok(first)).toBe(4)
    expect(ok(other)).toBe(2)
    await Promise.all([...first, ...other].map((r) => r.body?.cancel()))
    // The tenant allows 6, and 6 were admitted: a third key gets nothing this minute.
    const third = await createKey(tenantId)
    expect((await failure(await chat(third.secret, { model: 'mock/k' }))).status).toBe(429)
  })
})

describe('tokens per minute', () => {
  it('reserves at admission and never admits beyond the limit', async () => {
    const { secret } = await tenantWithKey({ limits: { tokens_per_minute: 1000 } })
    await awayFromWindowEdge()
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        chat(secret, { model: 'mock/tpm:ttft=200', max_tokens: 100 })
      )
    )
    const admitted = responses.filter((r) => r.status === 200)
    // Every admitted request held the same reservation; the most remaining is 1000 - reservation.
    const remaining = admitted.map((r) => Number(r.headers.get('x-ratelimit-remaining-tokens')))
    const reservation = 1000 - Math.max(...remaining)
    expect(reservation).toBeGreaterThan(100)
    expect(admitted.length).toBe(Math.floor(1000 / reservation))
    for (const response of responses) {
      if (response.status === 200) {
        await response.body?.cancel()
        continue
      }
      expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('1000')
      expect(await failure(response)).toMatchObject({
        status: 429,
        code: 'tokens_per_minute_exceeded',
      })
    }
  })

  it('counts exactly the tokens served, streaming and not, once settled', async () => {
    const { tenantId, secret } = await tenantWithKey({ limits: { tokens_per_minute: 100_000 } })
    await awayFromWindowEdge(15_000)
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        chat(secret, { model: `mock/t:tokens=${5 + i}`, max_tokens: 500, stream: i % 2 === 0 })
      )
    )
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    const usages = await Promise.all(responses.map(reportedUsage))
    const served = usages.reduce((sum, usage) => sum + usage.total_tokens, 0)
    // Reservations (500+ each) were reconciled with negative refunds down to what was served.
    await expect
      .poll(async () => Number(await redis.get(tpmCounter(tenantId))), { timeout: 5000 })
      .toBe(served)
  })

  it('refunds the whole reservation when the request fails upstream', async () => {
    const { tenantId, secret } = await tenantWithKey({ limits: { tokens_per_minute: 100_000 } })
    await awayFromWindowEdge()
    const response = await chat(secret, { model: 'mock/f:status=400', max_tokens: 300 })
    expect(response.status).toBeGreaterThanOrEqual(400)
    await response.body?.cancel()
    await expect
      .poll(async () => Number(await redis.get(tpmCounter(tenantId))), { timeout: 5000 })
      .toBe(0)
  })
})

describe('concurrency cap', () => {
  it('admits at most max_concurrent requests in flight and frees slots after', async () => {
    const { secret } = await tenantWithKey({ limits: { max_concurrent: 3 } })
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => chat(secret, { model: 'mock/c:ttft=300', max_tokens: 5 }))
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(3)
    for (const response of responses) {
      if (response.status === 200) await response.body?.cancel()
      else expect(await failure(response)).toMatchObject({ code: 'concurrency_limit_exceeded' })
    }
    // Slots are released by settle, after the response.
    await expect
      .poll(async () => {
        const next = await Promise.all(
          Array.from({ length: 3 }, () => chat(secret, { model: 'mock/c', max_tokens: 5 }))
        )
        await Promise.all(next.map((r) => r.body?.cancel()))
        return next.map((r) => r.status)
      })
      .toEqual([200, 200, 200])
  })
})
