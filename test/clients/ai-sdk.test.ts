/**
 * Conformance: the AI SDK (`ai`) with its OpenAI provider (`openai.chat`, the Chat Completions
 * model) and its Anthropic provider (the Messages API), unmodified but for baseURL and fetch.
 * The default `openai(model)` speaks the Responses API, which the gateway does not serve yet.
 */
import { createAnthropic } from '@ai-sdk/anthropic'
import { createOpenAI } from '@ai-sdk/openai'
import { APICallError, embed, generateText, jsonSchema, streamText, tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { gatewayFetch, withTenant } from '../helpers/gateway'

const caller = withTenant()

const providers = () => ({
  'ai + @ai-sdk/openai (openai.chat)': (model: string) =>
    createOpenAI({
      apiKey: caller.tenant.secret,
      baseURL: 'http://gateway/v1',
      fetch: gatewayFetch,
    }).chat(model),
  'ai + @ai-sdk/anthropic': (model: string) =>
    createAnthropic({
      apiKey: caller.tenant.secret,
      baseURL: 'http://gateway/v1',
      fetch: gatewayFetch,
    })(model),
})

const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
})

describe('client ai (AI SDK)', () => {
  for (const name of ['ai + @ai-sdk/openai (openai.chat)', 'ai + @ai-sdk/anthropic'] as const) {
    const model = (id: string) => providers()[name](id)

    it(`${name}: generateText`, async () => {
      const result = await generateText({
        model: model('mock-gpt'),
        maxRetries: 0,
        prompt: 'Hello from the AI SDK',
      })
      expect(result.text.length).toBeGreaterThan(0)
      expect(result.finishReason).toBe('stop')
      expect(result.usage.outputTokens).toBeGreaterThan(0)
    })

    it(`${name}: streamText`, async () => {
      const result = streamText({
        model: model('claude-sonnet-4-5'),
        maxRetries: 0,
        prompt: 'Stream from the AI SDK',
      })
      let text = ''
      for await (const delta of result.textStream) text += delta
      expect(text.length).toBeGreaterThan(0)
      expect(await result.text).toBe(text)
      expect((await result.usage).outputTokens).toBeGreaterThan(0)
    })

    it(`${name}: tools (a tool call, generated and streamed)`, async () => {
      const generated = await generateText({
        model: model('mock-gpt'),
        maxRetries: 0,
        tools: { get_weather: weather },
        prompt: 'Weather in Oslo?',
      })
      expect(generated.toolCalls[0]).toMatchObject({ toolName: 'get_weather' })
      expect(generated.toolCalls[0]?.input).toHaveProperty('city')
      const streamed = streamText({
        model: model('claude-sonnet-4-5'),
        maxRetries: 0,
        tools: { get_weather: weather },
        prompt: 'Weather in Oslo?',
      })
      const calls = await streamed.toolCalls
      expect(calls[0]).toMatchObject({ toolName: 'get_weather' })
      expect(calls[0]?.input).toHaveProperty('city')
    })

    it(`${name}: errors are APICallError with the status`, async () => {
      const failed = generateText({
        model: model('no-such-model'),
        maxRetries: 0,
        prompt: 'x',
      })
      await expect(failed).rejects.toBeInstanceOf(APICallError)
      await expect(failed).rejects.toMatchObject({ statusCode: 404 })
    })
  }

  it('ai + @ai-sdk/openai: embed', async () => {
    const openai = createOpenAI({
      apiKey: caller.tenant.secret,
      baseURL: 'http://gateway/v1',
      fetch: gatewayFetch,
    })
    const { embedding } = await embed({
      model: openai.embedding('mock-embed'),
      value: 'edge',
      maxRetries: 0,
    })
    expect(embedding).toHaveLength(384)
  })
})
