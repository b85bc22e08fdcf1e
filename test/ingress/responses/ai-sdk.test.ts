/**
 * The Vercel AI SDK's default OpenAI model (`openai(model)` speaks the Responses API), unmodified,
 * against the gateway.
 */
import { createOpenAI } from '@ai-sdk/openai'
import { generateObject, generateText, stepCountIs, streamText, tool } from 'ai'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { gatewayFetch, withTenant } from '../../helpers/gateway'

const caller = withTenant()
const model = () =>
  createOpenAI({ apiKey: caller.tenant.secret, baseURL: 'http://gateway/v1', fetch: gatewayFetch })(
    'mock-gpt'
  )

describe('the Vercel AI SDK with @ai-sdk/openai’s default model', () => {
  it('generates text', async () => {
    const result = await generateText({ model: model(), prompt: 'Say hello' })
    expect(result.text.length).toBeGreaterThan(0)
    expect(result.usage.inputTokens).toBeGreaterThan(0)
    expect(result.finishReason).toBe('stop')
    // The Responses API answered, not chat completions.
    expect(result.response.id).toMatch(/^resp_/)
  })

  it('streams text', async () => {
    const result = streamText({ model: model(), prompt: 'Stream a few words' })
    let text = ''
    for await (const piece of result.textStream) text += piece
    expect(text.length).toBeGreaterThan(0)
    expect(await result.text).toBe(text)
  })

  it('calls a tool and answers with its result', async () => {
    let called = 0
    const result = await generateText({
      model: model(),
      prompt: 'Weather in Oslo?',
      tools: {
        weather: tool({
          description: 'Weather for a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            called++
            return { city, temperature: 3 }
          },
        }),
      },
      stopWhen: stepCountIs(3),
    })
    expect(called).toBe(1)
    expect(result.steps.length).toBe(2)
    expect(result.text.length).toBeGreaterThan(0)
  })

  it('generates an object that fits the schema', async () => {
    const schema = z.object({ name: z.string(), age: z.number().int() })
    const result = await generateObject({ model: model(), schema, prompt: 'Invent a person.' })
    expect(schema.parse(result.object)).toEqual(result.object)
  })
})
