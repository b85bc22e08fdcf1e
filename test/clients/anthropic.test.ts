/**
 * Conformance: the official `@anthropic-ai/sdk`, unmodified (only baseURL and fetch point at the
 * Worker), drives /v1/messages against an Anthropic target and an OpenAI-compatible one.
 */
import Anthropic from '@anthropic-ai/sdk'
import { describe, expect, it } from 'vitest'
import { gatewayFetch, withTenant } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

const caller = withTenant()

function anthropicClient(apiKey: string): Anthropic {
  return new Anthropic({ apiKey, baseURL: 'http://gateway', fetch: gatewayFetch, maxRetries: 0 })
}

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } } },
}

describe('client @anthropic-ai/sdk', () => {
  // An Anthropic target by provider/model (the SDK warns on the catalog's deprecated name).
  for (const model of ['anthropic/claude-mock', 'mock-gpt']) {
    it(`@anthropic-ai/sdk: messages.create (${model})`, async () => {
      const message = await anthropicClient(caller.tenant.secret).messages.create({
        model,
        max_tokens: 128,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }],
      })
      expect(message.type).toBe('message')
      expect(message.stop_reason).toBe('end_turn')
      const [block] = message.content
      expect(block?.type).toBe('text')
      expect(block?.type === 'text' && block.text.length).toBeGreaterThan(0)
      expect(message.usage.input_tokens).toBeGreaterThan(0)
      expect(message.usage.output_tokens).toBeGreaterThan(0)
    })

    it(`@anthropic-ai/sdk: messages.stream, finalMessage and text events (${model})`, async () => {
      const plain = await anthropicClient(caller.tenant.secret).messages.create({
        model,
        max_tokens: 128,
        messages: [{ role: 'user', content: 'Stream from the Anthropic SDK' }],
      })
      const stream = anthropicClient(caller.tenant.secret).messages.stream({
        model,
        max_tokens: 128,
        messages: [{ role: 'user', content: 'Stream from the Anthropic SDK' }],
      })
      let text = ''
      stream.on('text', (delta) => {
        text += delta
      })
      const final = await stream.finalMessage()
      const block = plain.content[0]
      expect(text).toBe(block?.type === 'text' ? block.text : undefined)
      expect(final.content).toEqual(plain.content)
      expect(final.stop_reason).toBe('end_turn')
      expect(final.usage.output_tokens).toBe(plain.usage.output_tokens)
      expect(final.usage.input_tokens).toBe(plain.usage.input_tokens)
    })

    it(`@anthropic-ai/sdk: tools, tool_use then tool_result (${model})`, async () => {
      const client = anthropicClient(caller.tenant.secret)
      const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Oslo?' }
      const first = await client.messages.create({
        model,
        max_tokens: 128,
        tools: [weather],
        messages: [question],
      })
      expect(first.stop_reason).toBe('tool_use')
      const use = first.content.find((block) => block.type === 'tool_use')
      expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather' })
      if (use?.type !== 'tool_use') return
      expect(use.input).toHaveProperty('city')
      const streamed = await client.messages
        .stream({ model, max_tokens: 128, tools: [weather], messages: [question] })
        .finalMessage()
      expect(streamed.content.find((block) => block.type === 'tool_use')).toMatchObject({
        name: 'get_weather',
        input: use.input,
      })
      const second = await client.messages.create({
        model,
        max_tokens: 128,
        tools: [weather],
        messages: [
          question,
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Sunny' }],
          },
        ],
      })
      expect(second.stop_reason).toBe('end_turn')
    })
  }

  it("@anthropic-ai/sdk: models.list and models.retrieve, in Anthropic's shape", async () => {
    const client = anthropicClient(caller.tenant.secret)
    const ids: string[] = []
    for await (const model of client.models.list()) {
      expect(model.type).toBe('model')
      ids.push(model.id)
    }
    expect(ids).toContain('claude-sonnet-4-5')
    expect(await client.models.retrieve('claude-sonnet-4-5')).toMatchObject({
      type: 'model',
      id: 'claude-sonnet-4-5',
      display_name: 'claude-sonnet-4-5',
      created_at: expect.any(String),
    })
    const missing = client.models.retrieve('no-such-model')
    await expect(missing).rejects.toBeInstanceOf(Anthropic.NotFoundError)
    await expect(missing).rejects.toMatchObject({
      error: { type: 'error', error: { type: 'not_found_error' } },
    })
  })

  it('@anthropic-ai/sdk: messages.countTokens', async () => {
    const counted = await anthropicClient(caller.tenant.secret).messages.countTokens({
      model: 'claude-sonnet-4-5',
      system: 'Be brief.',
      tools: [weather],
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    })
    expect(counted.input_tokens).toBeGreaterThan(0)
  })

  it('@anthropic-ai/sdk: errors are the right APIError subclasses (400, 401, 403, 404, 429, 5xx)', async () => {
    const client = anthropicClient(caller.tenant.secret)
    const ask = (target: Anthropic, model = 'mock-gpt') =>
      target.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'x' }] })
    await expect(
      client.messages.create({ model: 'mock-gpt', max_tokens: 0, messages: [] })
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError)
    const unauthorized = ask(anthropicClient('sk-gw-wrong'))
    await expect(unauthorized).rejects.toBeInstanceOf(Anthropic.AuthenticationError)
    await expect(unauthorized).rejects.toMatchObject({
      error: { type: 'error', error: { type: 'authentication_error' } },
    })
    const chatOnly = await tenantWithKey({}, { scopes: { endpoints: ['/v1/chat/*'] } })
    await expect(ask(anthropicClient(chatOnly.secret))).rejects.toBeInstanceOf(
      Anthropic.PermissionDeniedError
    )
    await expect(ask(client, 'no-such-model')).rejects.toBeInstanceOf(Anthropic.NotFoundError)
    const limited = anthropicClient(
      (await tenantWithKey({ limits: { requests_per_minute: 1 } })).secret
    )
    await ask(limited)
    await expect(ask(limited)).rejects.toBeInstanceOf(Anthropic.RateLimitError)
    await expect(ask(client, 'mock/m:status=500')).rejects.toBeInstanceOf(
      Anthropic.InternalServerError
    )
    // A spent budget is Anthropic's billing_error (402): not a rate limit to wait out and retry.
    const broke = anthropicClient(
      (await tenantWithKey({ budget: { monthly_hard_usd: 0.000001 } })).secret
    )
    await expect(ask(broke)).rejects.toMatchObject({
      status: 402,
      error: { type: 'error', error: { type: 'billing_error' } },
    })
  })

  it('@anthropic-ai/sdk: a stream that breaks mid-way raises an APIError', async () => {
    const stream = anthropicClient(caller.tenant.secret).messages.stream({
      model: 'anthropic/claude-sonnet-4-5:cut=2',
      max_tokens: 128,
      messages: [{ role: 'user', content: 'Break off' }],
    })
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError)
  })
})
