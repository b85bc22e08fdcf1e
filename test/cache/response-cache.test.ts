import type { Redis } from '@upstash/redis/cloudflare'
import type { Index } from '@upstash/vector/cloudflare'
import { describe, expect, it } from 'vitest'
import { createResponseCache } from '../../src/cache/response-cache'
import type { CacheSettingsInput } from '../../src/cache/settings'
import type { ChatRequest } from '../../src/openai/chat-request'
import type { PreparedTarget } from '../../src/routing/prepared-target'
import { createWriteBatch } from '../../src/upstash/write-batch'

const completion = (content: string) => ({
  id: 'c',
  object: 'chat.completion' as const,
  created: 1,
  model: 'm',
  choices: [
    {
      index: 0,
      message: { role: 'assistant' as const, content, refusal: null },
      finish_reason: 'stop' as const,
      logprobs: null,
    },
  ],
})

/** Redis (GETEX, SET) and a Vector namespace in memory; `vectorDelayMs` delays every query. */
function setup(options: { vectorDelayMs?: number; vectorDown?: boolean } = {}) {
  const store = new Map<string, unknown>()
  const calls: string[] = []
  const vectors = new Map<string, { text: string; partition: string }>()
  const redis = {
    getex: async (key: string) => {
      calls.push('GETEX')
      return store.get(key) ?? null
    },
    set: async (key: string, value: unknown) => {
      calls.push('SET')
      store.set(key, value)
      return 'OK'
    },
    // The write batch's counter script: every increment applied, none refused.
    eval: async () => [],
    evalsha: async () => [],
  }
  const namespace = {
    query: async ({ data, filter }: { data: string; filter: string }) => {
      calls.push('QUERY')
      await new Promise((resolve) => setTimeout(resolve, options.vectorDelayMs ?? 0))
      if (options.vectorDown) throw new Error('fetch failed')
      const partition = /'([0-9a-f]+)'/.exec(filter)?.[1]
      return [...vectors]
        .filter(([, v]) => v.partition === partition)
        .map(([id, v]) => ({ id, score: v.text === data ? 1 : 0.93 }))
    },
    upsert: async ({
      id,
      data,
      metadata,
    }: {
      id: string
      data: string
      metadata: { partition: string }
    }) => {
      calls.push('UPSERT')
      vectors.set(id, { text: data, partition: metadata.partition })
      return 'Success'
    },
    delete: async () => ({ deleted: 1 }),
  }
  const vector = { namespace: () => namespace } as unknown as Index
  const typedRedis = redis as unknown as Redis
  const writes = createWriteBatch({ redis: typedRedis, report: () => {}, flushAfterMs: 1 })
  const cache = createResponseCache({
    redis: typedRedis,
    vector,
    writes,
    clock: Date.now,
    report: () => {},
  })
  const background: Array<Promise<unknown>> = []
  const waitUntil = (work: Promise<unknown>) => void background.push(work)
  const drained = async () => {
    while (background.length > 0) await Promise.all(background.splice(0))
  }
  return { cache, calls, waitUntil, drained }
}

const target = {
  provider: 'mock',
  model: 'm',
  credentials: { apiKey: undefined, baseUrl: 'http://mock' },
} as PreparedTarget

let tenantCount = 0
function open(
  cache: ReturnType<typeof setup>['cache'],
  content: string,
  settings: CacheSettingsInput = { enabled: true, semantic: { enabled: true, threshold: 0.9 } },
  headers: Record<string, string> = {},
  tenantId = 'tenant'
) {
  const body = { model: 'm', messages: [{ role: 'user', content }] } as ChatRequest
  return cache.open({ tenantId, settings, body, targets: [target], headers: new Headers(headers) })
}

describe('response cache policy', () => {
  it('answers a stored exact answer from the isolate, with no lookup sent', async () => {
    const { cache, calls, waitUntil, drained } = setup()
    const tenantId = `t${tenantCount++}`
    const miss = await open(cache, 'hello', undefined, {}, tenantId)
    expect(miss.held).toBeUndefined()
    const lookup = miss.lookup(waitUntil)
    expect(await lookup.exact).toBeUndefined()
    miss.store(completion('hi there'), 'mock/m', waitUntil)
    await drained()
    calls.length = 0
    const repeat = await open(cache, 'hello', undefined, {}, tenantId)
    expect(repeat.held?.status).toBe('HIT')
    expect(repeat.held?.entry.completion.choices[0]?.message.content).toBe('hi there')
    expect(calls).toEqual([])
  })

  it('reads the exact entry in the caller tick, and asks Vector only after it missed', async () => {
    const { cache, calls, waitUntil } = setup()
    const ticket = await open(cache, 'question', undefined, {}, `t${tenantCount++}`)
    const lookup = ticket.lookup(waitUntil)
    expect(calls).toEqual(['GETEX'])
    expect(await lookup.exact).toBeUndefined()
    expect(calls).toEqual(['GETEX'])
    await lookup.similar()
    expect(calls).toEqual(['GETEX', 'QUERY'])
  })

  it('gives up on a similar answer after the lookup budget, and counts it late', async () => {
    const { cache, waitUntil, drained } = setup({ vectorDelayMs: 600 })
    const tenantId = `t${tenantCount++}`
    const settings = {
      enabled: true,
      semantic: { enabled: true, threshold: 0.9, lookup_budget_ms: 5 },
    }
    const first = await open(cache, 'How do I reset my password?', settings, {}, tenantId)
    first.lookup(waitUntil)
    first.store(completion('Use the link.'), 'mock/m', waitUntil)
    await drained()
    const paraphrase = await open(cache, 'How can I reset my password?', settings, {}, tenantId)
    const lookup = paraphrase.lookup(waitUntil)
    expect(await lookup.exact).toBeUndefined()
    const started = performance.now()
    expect(await lookup.similar()).toBeUndefined()
    // Far sooner than Vector's 600 ms, with room for a loaded machine: the 5 ms budget decided.
    expect(performance.now() - started).toBeLessThan(400)
    expect(lookup.late()).toBe(false)
    await drained()
    expect(lookup.late()).toBe(true)
  })

  it('serves a similar answer found within the budget', async () => {
    const { cache, waitUntil, drained } = setup()
    const tenantId = `t${tenantCount++}`
    const first = await open(cache, 'How do I reset my password?', undefined, {}, tenantId)
    first.lookup(waitUntil)
    first.store(completion('Use the link.'), 'mock/m', waitUntil)
    await drained()
    const paraphrase = await open(cache, 'How can I reset my password?', undefined, {}, tenantId)
    const found = await paraphrase.lookup(waitUntil).similar()
    expect(found).toMatchObject({ status: 'SEMANTIC-HIT', similarity: 0.93 })
  })

  it('keeps the exact side working when Vector fails, and says which part degraded', async () => {
    const { cache, waitUntil, drained } = setup({ vectorDown: true })
    const ticket = await open(cache, 'q', undefined, {}, `t${tenantCount++}`)
    const lookup = ticket.lookup(waitUntil)
    expect(await lookup.exact).toBeUndefined()
    expect(await lookup.similar()).toBeUndefined()
    await drained()
    expect(ticket.degraded).toEqual(['semantic-cache'])
    expect(ticket.status).toBe('MISS')
  })

  it('bypasses what must not be cached and refreshes on no-cache', async () => {
    const { cache } = setup()
    expect((await open(cache, 'q', { enabled: false })).status).toBeUndefined()
    expect((await open(cache, 'q', undefined, { 'cache-control': 'no-store' })).status).toBe(
      'BYPASS'
    )
    const refresh = await open(cache, 'q', undefined, { 'cache-control': 'no-cache' })
    expect(refresh.status).toBe('REFRESH')
    expect(refresh.held).toBeUndefined()
  })

  it('stores only whole, ordinary answers', async () => {
    const { cache, calls, waitUntil, drained } = setup()
    const ticket = await open(cache, 'q', { enabled: true }, {}, `t${tenantCount++}`)
    ticket.store(completion(''), 'mock/m', waitUntil)
    const filtered = completion('x')
    ticket.store(
      {
        ...filtered,
        choices: filtered.choices.map((c) => ({ ...c, finish_reason: 'content_filter' as const })),
      },
      'mock/m',
      waitUntil
    )
    await drained()
    expect(calls.filter((call) => call === 'SET')).toEqual([])
  })
})
