/**
 * Conformance: the official `openai` SDK, unmodified (only baseURL and fetch point at the Worker),
 * drives every OpenAI-compatible route and reads every failure as the right APIError subclass.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { openAIClient, withTenant } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

const caller = withTenant()
const user = (content: string) => [{ role: 'user' as const, content }]

describe('client openai (SDK)', () => {
  it('openai: chat.completions.create', async () => {
    const completion = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      messages: user('Hello from the openai SDK'),
    })
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0)
    expect(completion.usage?.total_tokens).toBeGreaterThan(0)
  })

  it('openai: chat.completions stream, with usage', async () => {
    const stream = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      stream: true,
      stream_options: { include_usage: true },
      messages: user('Stream from the openai SDK'),
    })
    let text = ''
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      usage = chunk.usage ?? usage
    }
    expect(text.length).toBeGreaterThan(0)
    expect(usage?.completion_tokens).toBeGreaterThan(0)
  })

  it('openai: chat.completions.stream helper, finalChatCompletion', async () => {
    const runner = caller.client.chat.completions.stream({
      model: 'claude-sonnet-4-5',
      messages: user('Helper stream'),
    })
    const final = await runner.finalChatCompletion()
    expect(final.choices[0]?.message.content?.length).toBeGreaterThan(0)
  })

  it('openai: tools, a tool call and its result', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]
    const first = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      tools,
      messages: user('Weather in Oslo?'),
    })
    const call = first.choices[0]?.message.tool_calls?.[0]
    expect(first.choices[0]?.finish_reason).toBe('tool_calls')
    expect(call?.type).toBe('function')
    if (call?.type !== 'function') return
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city')
    const second = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      tools,
      messages: [
        ...user('Weather in Oslo?'),
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'Sunny' },
      ],
    })
    expect(second.choices[0]?.finish_reason).toBe('stop')
  })

  it('openai: embeddings.create (base64 by default, decoded by the SDK)', async () => {
    const result = await caller.client.embeddings.create({ model: 'mock-embed', input: 'edge' })
    expect(result.data[0]?.embedding).toHaveLength(384)
  })

  it('openai: models.list and models.retrieve', async () => {
    const ids: string[] = []
    for await (const model of caller.client.models.list()) ids.push(model.id)
    expect(ids).toContain('mock-gpt')
    const model = await caller.client.models.retrieve('mock-gpt')
    expect(model).toMatchObject({ id: 'mock-gpt', object: 'model' })
    await expect(caller.client.models.retrieve('no-such-model')).rejects.toBeInstanceOf(
      OpenAI.NotFoundError
    )
  })

  it('openai: models.retrieve is scoped like the list', async () => {
    const scoped = await tenantWithKey({}, { scopes: { models: ['mock/*'] } })
    const client = openAIClient(scoped.secret)
    await expect(client.models.retrieve('mock-gpt')).resolves.toMatchObject({ id: 'mock-gpt' })
    const hidden = client.models.retrieve('gpt-4o-mini')
    await expect(hidden).rejects.toBeInstanceOf(OpenAI.NotFoundError)
    await expect(hidden).rejects.toMatchObject({ error: { code: 'model_not_found' } })
  })

  it('openai: errors are the right APIError subclasses (400, 401, 403, 404, 429, 5xx)', async () => {
    await expect(
      caller.client.chat.completions.create({ model: 'mock-gpt', messages: [] })
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError)
    await expect(openAIClient('sk-gw-wrong').models.list()).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError
    )
    const chatOnly = await tenantWithKey({}, { scopes: { endpoints: ['/v1/chat/*'] } })
    await expect(
      openAIClient(chatOnly.secret).embeddings.create({ model: 'mock-embed', input: 'x' })
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError)
    await expect(
      caller.client.chat.completions.create({ model: 'no-such-model', messages: user('x') })
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError)
    const limited = openAIClient(
      (await tenantWithKey({ limits: { requests_per_minute: 1 } })).secret
    )
    await limited.chat.completions.create({ model: 'mock-gpt', messages: user('one') })
    await expect(
      limited.chat.completions.create({ model: 'mock-gpt', messages: user('two') })
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError)
    await expect(
      caller.client.chat.completions.create({ model: 'mock/m:status=500', messages: user('x') })
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError)
  })
})
