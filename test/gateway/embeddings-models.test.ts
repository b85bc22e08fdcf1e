import { describe, expect, it } from 'vitest'
import { openAIClient, withTenant } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

const caller = withTenant()

describe('POST /v1/embeddings', () => {
  it('embeds a string and a batch', async () => {
    const single = await caller.client.embeddings.create({
      model: 'mock-embed',
      input: 'edge gateways',
      encoding_format: 'float',
    })
    expect(single.data).toHaveLength(1)
    const vector = single.data[0]?.embedding ?? []
    expect(vector).toHaveLength(384)
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5)
    expect(single.usage.prompt_tokens).toBeGreaterThan(0)

    const batch = await caller.client.embeddings.create({
      model: 'mock-embed',
      input: ['one', 'two', 'three'],
    })
    expect(batch.data.map((item) => item.index)).toEqual([0, 1, 2])
  })

  it('decodes base64 embeddings the SDK asks for by default', async () => {
    const result = await caller.client.embeddings.create({
      model: 'mock-embed',
      input: 'edge gateways',
    })
    const plain = await caller.client.embeddings.create({
      model: 'mock-embed',
      input: 'edge gateways',
      encoding_format: 'float',
    })
    expect(result.data[0]?.embedding[0]).toBeCloseTo(plain.data[0]?.embedding[0] ?? Number.NaN, 6)
  })

  it('refuses chat models and Anthropic models for embeddings', async () => {
    await expect(
      caller.client.embeddings.create({ model: 'mock-gpt', input: 'x' })
    ).rejects.toMatchObject({ status: 404 })
    await expect(
      caller.client.embeddings.create({ model: 'claude-sonnet-4-5', input: 'x' })
    ).rejects.toMatchObject({ status: 404 })
  })
})

describe('GET /v1/models', () => {
  it('lists the catalog models the key may use', async () => {
    const ids: string[] = []
    for await (const model of caller.client.models.list()) ids.push(model.id)
    expect(ids).toEqual(
      expect.arrayContaining(['mock-gpt', 'mock-embed', 'gpt-4o-mini', 'claude-sonnet-4-5'])
    )
  })

  it('hides models outside the key scope', async () => {
    const scoped = await tenantWithKey({}, { scopes: { models: ['mock/*'] } })
    const ids: string[] = []
    for await (const model of openAIClient(scoped.secret).models.list()) ids.push(model.id)
    expect(ids).toContain('mock-gpt')
    expect(ids).not.toContain('gpt-4o-mini')
    expect(ids).not.toContain('claude-sonnet-4-5')
  })
})
