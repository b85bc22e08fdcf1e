/**
 * Conformance: LlamaIndex's OpenAI package (`@llamaindex/openai`), unmodified but for the base URL
 * and the fetch it hands to the openai SDK inside.
 */
import { OpenAI, OpenAIEmbedding } from '@llamaindex/openai'
import { describe, expect, it } from 'vitest'
import { gatewayFetch, withTenant } from '../helpers/gateway'

const caller = withTenant()

function llm(model: string): OpenAI {
  return new OpenAI({
    model,
    apiKey: caller.tenant.secret,
    baseURL: 'http://gateway/v1',
    maxRetries: 0,
    additionalSessionOptions: { fetch: gatewayFetch },
  })
}

describe('client @llamaindex/openai', () => {
  it('@llamaindex/openai OpenAI: chat', async () => {
    const response = await llm('mock-gpt').chat({
      messages: [{ role: 'user', content: 'Hello from LlamaIndex' }],
    })
    expect(String(response.message.content).length).toBeGreaterThan(0)
  })

  it('@llamaindex/openai OpenAI: chat, streamed', async () => {
    const stream = await llm('claude-sonnet-4-5').chat({
      messages: [{ role: 'user', content: 'Stream, LlamaIndex' }],
      stream: true,
    })
    let text = ''
    for await (const chunk of stream) text += chunk.delta
    expect(text.length).toBeGreaterThan(0)
  })

  it('@llamaindex/openai OpenAIEmbedding: getTextEmbedding', async () => {
    const embedding = new OpenAIEmbedding({
      model: 'mock-embed',
      apiKey: caller.tenant.secret,
      baseURL: 'http://gateway/v1',
      maxRetries: 0,
      additionalSessionOptions: { fetch: gatewayFetch },
    })
    expect(await embedding.getTextEmbedding('edge')).toHaveLength(384)
  })
})
