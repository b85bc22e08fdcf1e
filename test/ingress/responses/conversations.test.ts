import { describe, expect, it } from 'vitest'
import { mockRequests, uniqueTag, withTenant } from '../../helpers/gateway'
import { gatewayRedis } from '../../tenancy/fixtures'
import { expectNotFound } from './helpers'

const caller = withTenant()
const other = withTenant()

describe('/v1/conversations through the official client', () => {
  it('creates, retrieves, updates and deletes a conversation, items with it', async () => {
    const conversation = await caller.client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'Remember: blue.' }],
      metadata: { topic: 'colours' },
    })
    expect(conversation.id).toMatch(/^conv_/)
    expect(conversation.object).toBe('conversation')
    expect(conversation.metadata).toEqual({ topic: 'colours' })
    expect((await caller.client.conversations.retrieve(conversation.id)).id).toBe(conversation.id)
    const updated = await caller.client.conversations.update(conversation.id, {
      metadata: { topic: 'paint' },
    })
    expect(updated.metadata).toEqual({ topic: 'paint' })

    const deleted = await caller.client.conversations.delete(conversation.id)
    expect(deleted).toMatchObject({ id: conversation.id, deleted: true })
    await expectNotFound(caller.client.conversations.retrieve(conversation.id))
    // Unlike OpenAI, nothing of it is left behind.
    const left = await gatewayRedis().keys(
      `gw:t:${caller.tenant.tenantId}:conv:${conversation.id}*`
    )
    expect(left).toEqual([])
  })

  it('adds, lists (paginated), retrieves and deletes items', async () => {
    const conversation = await caller.client.conversations.create({})
    const added = await caller.client.conversations.items.create(conversation.id, {
      items: Array.from({ length: 5 }, (_, i) => ({
        type: 'message' as const,
        role: 'user' as const,
        content: `item ${i}`,
      })),
    })
    expect(added.data).toHaveLength(5)
    const ids = added.data.map((item) => item.id)
    const seen: string[] = []
    for await (const item of caller.client.conversations.items.list(conversation.id, {
      limit: 2,
      order: 'asc',
    })) {
      seen.push(item.id ?? '')
    }
    expect(seen).toEqual(ids)
    const newestFirst = await caller.client.conversations.items.list(conversation.id, { limit: 2 })
    expect(newestFirst.data.map((item) => item.id)).toEqual([ids[4], ids[3]])
    expect(newestFirst.has_more).toBe(true)

    const one = await caller.client.conversations.items.retrieve(ids[2] ?? '', {
      conversation_id: conversation.id,
    })
    expect(one).toMatchObject({ id: ids[2], type: 'message' })
    await caller.client.conversations.items.delete(ids[2] ?? '', {
      conversation_id: conversation.id,
    })
    const after = await caller.client.conversations.items.list(conversation.id, { order: 'asc' })
    expect(after.data.map((item) => item.id)).toEqual([ids[0], ids[1], ids[3], ids[4]])
  })

  it('appends each response to its conversation and continues from it', async () => {
    const tag = uniqueTag()
    const model = `mock/gpt:echo,tag=${tag}`
    const conversation = await caller.client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }],
    })
    const first = await caller.client.responses.create({
      model,
      input: 'I live in Paris.',
      conversation: conversation.id,
    })
    expect(first.conversation?.id).toBe(conversation.id)
    await caller.client.responses.create({
      model,
      input: 'Where do I live?',
      conversation: { id: conversation.id },
    })
    const items = await caller.client.conversations.items.list(conversation.id, { order: 'asc' })
    expect(items.data.map((item) => (item.type === 'message' ? item.role : item.type))).toEqual([
      'user',
      'user',
      'assistant',
      'user',
      'assistant',
    ])
    const sent = (await mockRequests(tag)).map(
      (request) => (request.body as { messages: unknown[] }).messages.length
    )
    expect(sent).toEqual([2, 4])
  })

  it("never lets another tenant read, use, list or delete a tenant's conversation", async () => {
    const conversation = await caller.client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'secret' }],
    })
    await expectNotFound(other.client.conversations.retrieve(conversation.id))
    await expectNotFound(other.client.conversations.items.list(conversation.id))
    await expectNotFound(other.client.conversations.delete(conversation.id))
    await expectNotFound(
      other.client.responses.create({
        model: 'mock-gpt',
        input: 'hi',
        conversation: conversation.id,
      }),
      'conversation'
    )
    expect((await caller.client.conversations.retrieve(conversation.id)).id).toBe(conversation.id)
  })

  it('refuses more than 16 metadata pairs and unknown fields with a 400 naming them', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))
    await expect(caller.client.conversations.create({ metadata })).rejects.toMatchObject({
      status: 400,
      param: 'metadata',
    })
  })
})
