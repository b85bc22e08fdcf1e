import { Index } from '@upstash/vector'
import { describe, expect, inject, it } from 'vitest'
import { mockRequests, uniqueTag } from '../helpers/gateway'
import { ask, cachingTenant, trackedGateway, user } from './helpers'

const gateway = trackedGateway()

// Scores from the stand-in's hashed embedder (Upstash COSINE scores, (1 + cos) / 2), which sees
// shared words, not meaning: the tenants here use threshold 0.9.
const QUESTION = 'How do I reset my password?'
const PARAPHRASE = 'How can I reset my password?' // 0.918
const OTHER_TOPIC = 'How do I reset my router?' // 0.719

function cacheIndex(tenantId: string) {
  return new Index({ url: inject('vectorRestUrl'), token: inject('vectorRestToken') }).namespace(
    `cache-${tenantId}`
  )
}

describe('semantic cache', () => {
  it('serves a paraphrase from the cache and reports the similarity', async () => {
    const tenant = await cachingTenant()
    const tag = uniqueTag()
    const model = `mock/m:tag=${tag}`
    const original = await ask(gateway, tenant, { model, messages: user(QUESTION) })
    expect(original.cache).toBe('MISS')
    const paraphrase = await ask(gateway, tenant, { model, messages: user(PARAPHRASE) })
    expect(paraphrase.cache).toBe('SEMANTIC-HIT')
    const similarity = Number(paraphrase.headers.get('x-cache-similarity'))
    expect(similarity).toBeGreaterThanOrEqual(0.9)
    expect(similarity).toBeLessThan(1)
    expect(paraphrase.json.choices[0]?.message.content).toBe(
      original.json.choices[0]?.message.content
    )
    expect(paraphrase.json.usage.x_gateway?.saved_tokens).toBe(original.json.usage.total_tokens)
    expect((await ask(gateway, tenant, { model, messages: user(OTHER_TOPIC) })).cache).toBe('MISS')
    expect(await mockRequests(tag)).toHaveLength(2)
  })

  it('never matches across the partition: model, parameters, system prompt, history', async () => {
    const tenant = await cachingTenant()
    const base = { model: 'mock-gpt', messages: user(QUESTION) }
    await ask(gateway, tenant, base)
    const paraphrased = user(PARAPHRASE)
    const variants = [
      { ...base, messages: paraphrased, model: 'mock/other' },
      { ...base, messages: paraphrased, temperature: 0.2 },
      { ...base, messages: [{ role: 'system', content: 'Be terse.' }, ...paraphrased] },
      {
        ...base,
        messages: [
          { role: 'user', content: 'I use a Mac.' },
          { role: 'assistant', content: 'Noted.' },
          ...paraphrased,
        ],
      },
    ]
    for (const variant of variants) expect((await ask(gateway, tenant, variant)).cache).toBe('MISS')
    expect((await ask(gateway, tenant, { ...base, messages: paraphrased })).cache).toBe(
      'SEMANTIC-HIT'
    )
  })

  it('never matches across tenants', async () => {
    const [a, b] = [await cachingTenant(), await cachingTenant()]
    await ask(gateway, a, { model: 'mock-gpt', messages: user(QUESTION) })
    expect((await ask(gateway, b, { model: 'mock-gpt', messages: user(PARAPHRASE) })).cache).toBe(
      'MISS'
    )
    expect((await ask(gateway, a, { model: 'mock-gpt', messages: user(PARAPHRASE) })).cache).toBe(
      'SEMANTIC-HIT'
    )
  })

  it('lets a request raise the threshold within the tenant bounds', async () => {
    const tenant = await cachingTenant({
      semantic: {
        enabled: true,
        threshold: 0.9,
        min_threshold: 0.85,
        max_threshold: 0.99,
        lookup_budget_ms: 1000,
      },
    })
    await ask(gateway, tenant, { model: 'mock-gpt', messages: user(QUESTION) })
    const strict = await ask(
      gateway,
      tenant,
      { model: 'mock-gpt', messages: user(PARAPHRASE) },
      { 'x-gateway-cache-threshold': '0.95' }
    )
    expect(strict.cache).toBe('MISS')
    const loose = await ask(
      gateway,
      tenant,
      { model: 'mock-gpt', messages: user(PARAPHRASE.replace('?', ' now?')) },
      { 'x-gateway-cache-threshold': '0.85' }
    )
    expect(loose.cache).toBe('SEMANTIC-HIT')
  })

  it('embeds the last turns when the tenant asks for it', async () => {
    const tenant = await cachingTenant({
      semantic: { enabled: true, threshold: 0.9, embed_turns: 3, lookup_budget_ms: 1000 },
    })
    const conversation = (question: string) => [
      { role: 'user', content: 'I use a Mac laptop.' },
      { role: 'assistant', content: 'Noted, a Mac laptop.' },
      { role: 'user', content: question },
    ]
    await ask(gateway, tenant, { model: 'mock-gpt', messages: conversation(QUESTION) })
    const hit = await ask(gateway, tenant, {
      model: 'mock-gpt',
      messages: conversation(PARAPHRASE),
    })
    expect(hit.cache).toBe('SEMANTIC-HIT')
  })

  it('cleans up vectors whose answer expired instead of serving them', async () => {
    const tenant = await cachingTenant({ ttl_seconds: 1 })
    await ask(gateway, tenant, { model: 'mock-gpt', messages: user(QUESTION) })
    const stored = await cacheIndex(tenant.tenantId).range({
      cursor: 0,
      limit: 10,
      includeData: true,
    })
    expect(stored.vectors.map((v) => v.data)).toEqual([QUESTION])
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const late = await ask(gateway, tenant, { model: 'mock-gpt', messages: user(PARAPHRASE) })
    expect(late.cache).toBe('MISS')
    const left = await cacheIndex(tenant.tenantId).fetch([String(stored.vectors[0]?.id)])
    expect(left).toEqual([null])
  })

  it('starts the upstream without a match that misses the lookup budget, and counts it', async () => {
    const tenant = await cachingTenant({
      semantic: { enabled: true, threshold: 0.9, lookup_budget_ms: 0 },
    })
    const tag = uniqueTag()
    const model = `mock/m:tag=${tag}`
    expect((await ask(gateway, tenant, { model, messages: user(QUESTION) })).cache).toBe('MISS')
    const paraphrase = await ask(gateway, tenant, { model, messages: user(PARAPHRASE) })
    expect(paraphrase.cache).toBe('MISS')
    expect(await mockRequests(tag)).toHaveLength(2)
    const usage = await gateway.fetch('http://gateway/v1/usage', {
      headers: { authorization: `Bearer ${tenant.secret}` },
    })
    const report = (await usage.json()) as { total: { semantic_late_hits: number } }
    expect(report.total.semantic_late_hits).toBe(1)
  })

  it('keeps exact hits working and marks the miss when Vector is down', async () => {
    const tenant = await cachingTenant()
    const down = trackedGateway({ UPSTASH_VECTOR_REST_URL: 'http://127.0.0.1:9' })
    const tag = uniqueTag()
    const body = { model: `mock/m:tag=${tag}`, messages: user(QUESTION) }
    const miss = await ask(down, tenant, body)
    expect(miss.status).toBe(200)
    expect(miss.json.choices[0]?.message.content?.length).toBeGreaterThan(0)
    expect(miss.cache).toBe('MISS')
    expect(miss.headers.get('x-gateway-degraded')).toBe('semantic-cache')
    // The exact answer never depended on Vector: the repeat is a hit, not another upstream call.
    const repeat = await ask(down, tenant, body)
    expect(repeat.status).toBe(200)
    expect(repeat.cache).toBe('HIT')
    expect(repeat.json.choices[0]?.message.content).toBe(miss.json.choices[0]?.message.content)
    expect(await mockRequests(tag)).toHaveLength(1)
  })
})
