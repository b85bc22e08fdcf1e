import type OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { ADMIN_HEADERS, mockRequests, openAIClient, uniqueTag } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'
import { ask, cachingTenant, expectSameAnswer, trackedGateway, user } from './helpers'

const gateway = trackedGateway()

describe('exact cache', () => {
  it('misses, then hits with the same answer, says what was saved and bills nothing', async () => {
    const tenant = await cachingTenant()
    const tag = uniqueTag()
    const body = { model: `mock/m:tag=${tag}`, messages: user('Name three rivers') }
    const miss = await ask(gateway, tenant, body)
    expect(miss.status).toBe(200)
    expect(miss.cache).toBe('MISS')
    expect(miss.headers.get('age')).toBeNull()
    const hit = await ask(gateway, tenant, body)
    expect(hit.cache).toBe('HIT')
    expect(hit.headers.get('age')).toMatch(/^\d+$/)
    // A hit says who first answered and that no upstream was asked this time.
    expect(hit.headers.get('x-gateway-target')).toBe(miss.headers.get('x-gateway-target'))
    expect(hit.headers.get('x-gateway-attempts')).toBe('0')
    expect(hit.headers.get('x-gateway-overhead-ms')).toMatch(/^\d+\.\d$/)
    expect(hit.headers.get('server-timing')).toMatch(/^gateway;dur=[\d.]+, upstream;dur=0\.0$/)
    expectSameAnswer(miss, hit)
    expect(hit.json.id).not.toBe(miss.json.id)
    expect(hit.json.usage.prompt_tokens).toBe(miss.json.usage.prompt_tokens)
    expect(hit.json.usage.x_gateway).toEqual({
      cached: true,
      saved_tokens: miss.json.usage.total_tokens,
    })
    expect(await mockRequests(tag)).toHaveLength(1)

    const usage = await gateway.fetch('http://gateway/v1/usage', {
      headers: { authorization: `Bearer ${tenant.secret}` },
    })
    const { total } = (await usage.json()) as { total: Record<string, number> }
    expect(total).toMatchObject({
      requests: 2,
      cache_hits: 1,
      cache_misses: 1,
      saved_tokens: miss.json.usage.total_tokens,
      prompt_tokens: miss.json.usage.prompt_tokens,
      completion_tokens: miss.json.usage.completion_tokens,
    })
  })

  it('treats stream:false as absent, and a streamed request shares the entry', async () => {
    const tenant = await cachingTenant()
    const tag = uniqueTag()
    const body = { model: `mock/m:tag=${tag}`, messages: user('Count to five') }
    const first = await ask(gateway, tenant, { ...body, stream: false })
    expect(first.cache).toBe('MISS')
    const second = await ask(gateway, tenant, body)
    expect(second.cache).toBe('HIT')
    expectSameAnswer(first, second)

    const client = openAIClient(tenant.secret, gateway.fetch)
    const { data: stream, response } = await client.chat.completions
      .create({ ...body, messages: [{ role: 'user', content: 'Count to five' }], stream: true })
      .withResponse()
    expect(response.headers.get('x-cache')).toBe('HIT')
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe(first.json.choices[0]?.message.content)
    expect(await mockRequests(tag)).toHaveLength(1)
  })

  it('replays a stream with the framing and content of the original', async () => {
    const tenant = await cachingTenant()
    const client = openAIClient(tenant.secret, gateway.fetch)
    const request = {
      model: 'mock-gpt',
      messages: [{ role: 'user' as const, content: `Tell a short story ${uniqueTag()}` }],
      stream: true as const,
      stream_options: { include_usage: true },
    }
    const read = async () => {
      const { data, response } = await client.chat.completions.create(request).withResponse()
      const chunks: OpenAI.ChatCompletionChunk[] = []
      for await (const chunk of data) chunks.push(chunk)
      await gateway.settled()
      return { chunks, cache: response.headers.get('x-cache') }
    }
    const original = await read()
    const replay = await read()
    expect([original.cache, replay.cache]).toEqual(['MISS', 'HIT'])
    expect(shape(replay.chunks)).toEqual(shape(original.chunks))
    expect(shape(original.chunks)).toEqual(['role', 'content', 'finish', 'usage'])
    expect(text(replay.chunks)).toBe(text(original.chunks))
    expect(replay.chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(2)
    for (const [a, b] of zip(original.chunks, replay.chunks)) {
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort())
    }
    expect(replay.chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: original.chunks.at(-1)?.usage?.prompt_tokens,
      completion_tokens: original.chunks.at(-1)?.usage?.completion_tokens,
    })
  })

  it('never hits across a different model, parameters or system prompt', async () => {
    const tenant = await cachingTenant({ semantic: { enabled: false } })
    const base = { model: 'mock-gpt', messages: user(`What is a cache? ${uniqueTag()}`) }
    expect((await ask(gateway, tenant, base)).cache).toBe('MISS')
    expect((await ask(gateway, tenant, base)).cache).toBe('HIT')
    const variants = [
      { ...base, model: 'mock/other' },
      { ...base, temperature: 0.3 },
      { ...base, max_tokens: 20 },
      { ...base, seed: 7 },
      { ...base, messages: [{ role: 'system', content: 'Answer in French.' }, ...base.messages] },
    ]
    for (const variant of variants) expect((await ask(gateway, tenant, variant)).cache).toBe('MISS')
    // The fields that only change delivery share the entry.
    expect((await ask(gateway, tenant, { ...base, user: 'someone', stream: null })).cache).toBe(
      'HIT'
    )
  })

  it('never hits across tenants', async () => {
    const [a, b] = [await cachingTenant(), await cachingTenant()]
    const body = { model: 'mock-gpt', messages: user(`Shared question ${uniqueTag()}`) }
    expect((await ask(gateway, a, body)).cache).toBe('MISS')
    expect((await ask(gateway, a, body)).cache).toBe('HIT')
    expect((await ask(gateway, b, body)).cache).toBe('MISS')
  })

  it('honours no-store (BYPASS) and no-cache (REFRESH)', async () => {
    const tenant = await cachingTenant()
    const tag = uniqueTag()
    const body = { model: `mock/m:tag=${tag}`, messages: user('Pick a colour') }
    expect((await ask(gateway, tenant, body, { 'cache-control': 'no-store' })).cache).toBe('BYPASS')
    expect((await ask(gateway, tenant, body)).cache).toBe('MISS')
    expect((await ask(gateway, tenant, body, { 'cache-control': 'no-store' })).cache).toBe('BYPASS')
    expect((await ask(gateway, tenant, body)).cache).toBe('HIT')
    const refreshed = await ask(gateway, tenant, body, { 'cache-control': 'no-cache' })
    expect(refreshed.cache).toBe('REFRESH')
    expect(await mockRequests(tag)).toHaveLength(4)
    const after = await ask(gateway, tenant, body)
    expect(after.cache).toBe('HIT')
    expect(after.json.choices[0]?.message.content).toBe(refreshed.json.choices[0]?.message.content)
  })

  it('expires entries after the TTL, tenant default or per request', async () => {
    const tenant = await cachingTenant({ ttl_seconds: 1, max_ttl_seconds: 60 })
    const short = { model: 'mock-gpt', messages: user(`Short lived ${uniqueTag()}`) }
    const long = { model: 'mock-gpt', messages: user(`Long lived ${uniqueTag()}`) }
    await ask(gateway, tenant, short)
    await ask(gateway, tenant, long, { 'x-gateway-cache-ttl': '60' })
    expect((await ask(gateway, tenant, short)).cache).toBe('HIT')
    await new Promise((resolve) => setTimeout(resolve, 2100))
    expect((await ask(gateway, tenant, short)).cache).toBe('MISS')
    expect((await ask(gateway, tenant, long)).cache).toBe('HIT')
  })

  it('refuses a TTL or threshold header outside the tenant bounds', async () => {
    const tenant = await cachingTenant({ max_ttl_seconds: 60 })
    const body = { model: 'mock-gpt', messages: user('hello') }
    const invalid: Array<Record<string, string>> = [
      { 'x-gateway-cache-ttl': '61' },
      { 'x-gateway-cache-ttl': '1.5' },
      { 'x-gateway-cache-threshold': '0.5' },
      { 'x-gateway-cache-threshold': 'high' },
    ]
    for (const headers of invalid) {
      const answer = await ask(gateway, tenant, body, headers)
      expect(answer.status).toBe(400)
      expect(answer.json).toMatchObject({ error: { code: 'invalid_cache_header' } })
    }
  })

  it('stores nothing when the upstream fails or cuts the stream', async () => {
    const tenant = await cachingTenant()
    const failing = `mock/m:status=500,tag=${uniqueTag()}`
    for (let i = 0; i < 2; i++) {
      const answer = await ask(gateway, tenant, { model: failing, messages: user('fail') })
      expect(answer.status).toBeGreaterThanOrEqual(500)
    }
    const tag = uniqueTag()
    const cut = { model: `mock/m:cut=3,tag=${tag}`, messages: user('cut'), stream: true }
    for (let i = 0; i < 2; i++) {
      const response = await gateway.fetch('http://gateway/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(cut),
      })
      expect(response.headers.get('x-cache')).toBe('MISS')
      expect(await response.text()).toContain('event: error')
      await gateway.settled()
    }
    expect((await mockRequests(tag)).length).toBeGreaterThanOrEqual(2)
  })

  it('bypasses hot temperatures and n > 1 unless the tenant allows them', async () => {
    const tenant = await cachingTenant({ max_temperature: 0.5 })
    const body = { model: 'mock-gpt', messages: user(`Be creative ${uniqueTag()}`) }
    expect((await ask(gateway, tenant, { ...body, temperature: 1.2 })).cache).toBe('BYPASS')
    expect((await ask(gateway, tenant, { ...body, temperature: 0.2 })).cache).toBe('MISS')
    expect((await ask(gateway, tenant, { ...body, n: 2 })).cache).toBe('BYPASS')
    const lenient = await cachingTenant({ cache_n_gt_1: true })
    expect((await ask(gateway, lenient, { ...body, n: 2 })).cache).toBe('MISS')
    const twice = await ask(gateway, lenient, { ...body, n: 2 })
    expect(twice.cache).toBe('HIT')
    expect(twice.json.choices).toHaveLength(2)
  })

  it('says nothing for tenants without the cache', async () => {
    const tenant = await tenantWithKey()
    const answer = await ask(gateway, tenant, { model: 'mock-gpt', messages: user('hi') })
    expect(answer.status).toBe(200)
    expect(answer.cache).toBeNull()
  })

  it('rejects inconsistent cache settings in the tenant config', async () => {
    const response = await gateway.fetch('http://gateway/admin/tenants', {
      method: 'POST',
      headers: ADMIN_HEADERS,
      body: JSON.stringify({
        name: 'bad',
        config: { cache: { ttl_seconds: 100, max_ttl_seconds: 10 } },
      }),
    })
    expect(response.status).toBe(400)
    expect(JSON.stringify(await response.json())).toContain('max_ttl_seconds')
  })
})

type Kind = 'role' | 'content' | 'tool' | 'finish' | 'usage'

/** Each chunk's role in the stream, runs of the same kind collapsed. */
function shape(chunks: OpenAI.ChatCompletionChunk[]): Kind[] {
  const kinds = chunks.map((chunk): Kind => {
    const choice = chunk.choices[0]
    if (!choice) return 'usage'
    if (choice.finish_reason) return 'finish'
    if (choice.delta.role) return 'role'
    return choice.delta.tool_calls ? 'tool' : 'content'
  })
  return kinds.filter((kind, i) => kind !== kinds[i - 1])
}

function text(chunks: OpenAI.ChatCompletionChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')
}

function zip<T>(a: T[], b: T[]): Array<[T, T]> {
  return a.slice(0, Math.min(a.length, b.length)).map((item, i) => [item, b[i] as T])
}
