import { describe, expect, it } from 'vitest'
import { type Served, servedBy } from '../helpers/gateway'
import { BASE, createKey, createTenant, failure } from '../tenancy/fixtures'

const alive = servedBy()
/** Nothing listens on the discard port: every Redis command is refused at once. */
const deadRedis = servedBy({ bindings: { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' } })

async function chatWith(served: Served, secret: string): Promise<Response> {
  const response = await served.fetch(`${BASE}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'mock/outage',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  })
  await served.settled()
  return response
}

describe('Redis unreachable', () => {
  it('serves fail-open tenants degraded, refuses fail-closed ones, and recovers', async () => {
    const limits = { requests_per_minute: 100, tokens_per_minute: 100_000, max_concurrent: 10 }
    const open = await createKey(await createTenant({ limits, fail_mode: 'open' }))
    const closed = await createKey(await createTenant({ limits, fail_mode: 'closed' }))
    // Both keys resolve once while Redis is up, as they would have before an outage.
    for (const key of [open, closed]) {
      const response = await chatWith(alive, key.secret)
      expect(response.status).toBe(200)
      expect(response.headers.get('x-gateway-degraded')).toBeNull()
      await response.body?.cancel()
    }

    const started = Date.now()
    const served = await chatWith(deadRedis, open.secret)
    expect(served.status).toBe(200)
    expect(served.headers.get('x-gateway-degraded')).toBe('limits-unavailable')
    expect(served.headers.get('x-ratelimit-limit-requests')).toBeNull()
    await served.body?.cancel()

    const refused = await chatWith(deadRedis, closed.secret)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await failure(refused)).toMatchObject({
      status: 503,
      type: 'service_unavailable',
      code: 'limits_unavailable',
    })

    // A key never seen in this isolate cannot be verified at all.
    const unknown = await chatWith(deadRedis, `sk-gw-${'C'.repeat(32)}`)
    expect(await failure(unknown)).toMatchObject({ status: 503, code: 'auth_unavailable' })
    // Never hang: the outage is detected within the short Redis timeout.
    expect(Date.now() - started).toBeLessThan(5000)

    // Redis is back: both tenants are limited and served normally again.
    for (const key of [open, closed]) {
      const response = await chatWith(alive, key.secret)
      expect(response.status).toBe(200)
      expect(response.headers.get('x-gateway-degraded')).toBeNull()
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('100')
      await response.body?.cancel()
    }
  })
})

describe('Redis unreachable, tenant with nothing to enforce', () => {
  it('serves it, and marks answers degraded once usage is waiting to be written', async () => {
    const plain = await createKey(await createTenant({ fail_mode: 'closed' }))
    const warm = await chatWith(alive, plain.secret)
    expect(warm.status).toBe(200)
    await warm.body?.cancel()
    // Its own Worker bindings, so this test's write batch is not another test's.
    const isolatedDeadRedis = servedBy({
      bindings: { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' },
    })
    const first = await chatWith(isolatedDeadRedis, plain.secret)
    expect(first.status).toBe(200)
    await first.body?.cancel()
    // The first answer's usage could not be written: it is kept, and the next answer says so.
    const second = await chatWith(isolatedDeadRedis, plain.secret)
    expect(second.status).toBe(200)
    expect(second.headers.get('x-gateway-degraded')).toBe('metering')
    await second.body?.cancel()
  })
})
