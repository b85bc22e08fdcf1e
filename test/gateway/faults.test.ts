import { beforeAll, describe, expect, it } from 'vitest'
import {
  chatRequest,
  gatewayWith,
  mockRequests,
  type TestTenant,
  uniqueTag,
} from '../helpers/gateway'
import { dataChunks, readFrames } from '../helpers/sse'
import { tenantWithKey } from '../tenancy/fixtures'

let tenant: TestTenant

beforeAll(async () => {
  tenant = await tenantWithKey()
})

type TargetSpec = {
  model: string
  priority?: number
  retries?: number
  firstByteTimeoutMs?: number
  timeoutMs?: number
}

/** A gateway whose catalog has one model, `routed`, served by mock targets in the given order. */
function gatewayRouting(targets: TargetSpec[]) {
  const catalog = {
    models: [
      {
        name: 'routed',
        targets: targets.map((target, index) => ({
          provider: 'mock',
          priority: index,
          retries: 0,
          ...target,
        })),
      },
    ],
  }
  return gatewayWith({ MODEL_CATALOG: JSON.stringify(catalog) })
}

const ask = (fetcher: typeof fetch, body: Record<string, unknown>, init: RequestInit = {}) =>
  fetcher('http://gateway/v1/chat/completions', {
    ...chatRequest(tenant.secret, {
      model: 'routed',
      messages: [{ role: 'user', content: 'hello' }],
      ...body,
    }),
    ...init,
  })

describe('retries and fallback', () => {
  it('retries a 500 on the same target, then succeeds', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([{ model: `a:fail=1,status=500,tag=${tag}`, retries: 2 }])
    const response = await ask(gateway, {})
    expect(response.status).toBe(200)
    expect(response.headers.get('x-gateway-attempts')).toBe('2')
    await response.body?.cancel()
    expect((await mockRequests(tag)).map((r) => r.status)).toEqual([500, 200])
  })

  it('falls back to the next target when the first keeps failing', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([
      { model: `primary:status=503,tag=${tag}`, retries: 1 },
      { model: `backup:tag=${tag}` },
    ])
    const response = await ask(gateway, { stream: true })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-gateway-target')).toBe(`mock/backup:tag=${tag}`)
    expect(response.headers.get('x-gateway-attempts')).toBe('3')
    const frames = await readFrames(response.body)
    expect(frames.at(-1)?.data).toBe('[DONE]')
    const seen = await mockRequests(tag)
    expect(seen.map((r) => [r.model, r.status])).toEqual([
      ['primary', 503],
      ['primary', 503],
      ['backup', 200],
    ])
  })

  it('says who was tried and what it cost on a 502, as on an answer', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([{ model: `down:status=500,tag=${tag}`, retries: 1 }])
    const response = await ask(gateway, {})
    expect(response.status).toBe(502)
    expect(response.headers.get('x-gateway-target')).toBe(`mock/down:status=500,tag=${tag}`)
    expect(response.headers.get('x-gateway-attempts')).toBe('2')
    expect(response.headers.get('x-gateway-overhead-ms')).toMatch(/^\d+\.\d$/)
    expect(response.headers.get('server-timing')).toMatch(
      /^gateway;dur=[\d.]+, upstream;dur=[\d.]+$/
    )
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'upstream_unavailable'
    )
  })

  it('honours a short retry-after, and moves on at once when it is too long', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([
      { model: `a:fail=1,status=429,retry_after=1,tag=${tag}`, retries: 1 },
    ])
    const started = Date.now()
    const response = await ask(gateway, {})
    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    await response.body?.cancel()

    const slowTag = uniqueTag()
    const impatient = gatewayRouting([
      { model: `a:status=429,retry_after=60,tag=${slowTag}`, retries: 3 },
      { model: `b:tag=${slowTag}` },
    ])
    const quick = Date.now()
    const fallback = await ask(impatient, {})
    expect(fallback.status).toBe(200)
    expect(Date.now() - quick).toBeLessThan(5_000)
    expect(fallback.headers.get('x-gateway-attempts')).toBe('2')
    await fallback.body?.cancel()
  })

  it('reports the upstream 429 with retry-after once every target is exhausted', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([{ model: `a:status=429,retry_after=30,tag=${tag}` }])
    const response = await ask(gateway, {})
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('30')
    expect(await response.json()).toMatchObject({ error: { code: 'upstream_rate_limited' } })
  })

  it('does not retry a 400: the caller gets the upstream message', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([
      { model: `a:status=400,tag=${tag}`, retries: 3 },
      { model: `b:tag=${tag}` },
    ])
    const response = await ask(gateway, {})
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } })
    expect(await mockRequests(tag)).toHaveLength(1)
  })

  it('gives up on a hung upstream at the first-byte timeout and falls back', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([
      { model: `slow:hang,tag=${tag}`, firstByteTimeoutMs: 300 },
      { model: `fast:tag=${tag}` },
    ])
    const started = Date.now()
    const response = await ask(gateway, { stream: true })
    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(response.headers.get('x-gateway-target')).toBe(`mock/fast:tag=${tag}`)
    await readFrames(response.body)
    await expect
      .poll(async () => (await mockRequests(tag)).find((r) => r.model === 'slow')?.disconnected)
      .toBe(true)
  })

  it('answers 504 when the only target never answers', async () => {
    const gateway = gatewayRouting([
      { model: `slow:hang,tag=${uniqueTag()}`, firstByteTimeoutMs: 200 },
    ])
    const response = await ask(gateway, {})
    expect(response.status).toBe(504)
    expect(await response.json()).toMatchObject({
      error: { code: 'upstream_timeout', type: 'timeout_error' },
    })
  })
})

describe('streaming failures', () => {
  it('ends a stream cut mid-way with an explicit error event, never [DONE]', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([
      { model: `a:cut=3,tokens=20,tag=${tag}` },
      { model: `b:tag=${tag}` },
    ])
    const response = await ask(gateway, { stream: true })
    expect(response.status).toBe(200)
    const frames = await readFrames(response.body)
    expect(frames.some((f) => f.data === '[DONE]')).toBe(false)
    const last = frames.at(-1)
    expect(last?.event).toBe('error')
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({
      error: { type: 'upstream_error', code: 'upstream_stream_failed' },
    })
    expect(dataChunks(frames).length).toBeGreaterThanOrEqual(1)
    // After the first byte the gateway never falls back: the backup was not called.
    expect((await mockRequests(tag)).map((r) => r.model)).toEqual(['a'])
  })

  it('cancels the upstream when the client disconnects', async () => {
    const tag = uniqueTag()
    const gateway = gatewayRouting([{ model: `a:tokens=200,delay=20,tag=${tag}` }])
    const response = await ask(gateway, { stream: true })
    const reader = response.body?.getReader()
    await reader?.read()
    await reader?.read()
    await reader?.cancel()
    await expect
      .poll(async () => (await mockRequests(tag))[0]?.disconnected, { timeout: 5_000 })
      .toBe(true)
    expect((await mockRequests(tag))[0]?.completed).toBe(false)
  })
})

describe('usage when the upstream sends none', () => {
  it('estimates it, says so, and never fails the request', async () => {
    const gateway = gatewayRouting([{ model: `a:nousage,tokens=12,tag=${uniqueTag()}` }])
    const response = await ask(gateway, {})
    expect(response.status).toBe(200)
    expect(response.headers.get('x-gateway-usage')).toBe('estimated')
    const body = (await response.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number }
    }
    expect(body.usage.prompt_tokens).toBeGreaterThan(0)
    expect(body.usage.completion_tokens).toBeGreaterThan(0)

    const streamed = await ask(gateway, { stream: true, stream_options: { include_usage: true } })
    const chunks = dataChunks(await readFrames(streamed.body))
    const usageChunk = chunks.find((chunk) => chunk.usage)
    expect(usageChunk).toMatchObject({ choices: [], x_gateway: { usage_estimated: true } })
  })
})
