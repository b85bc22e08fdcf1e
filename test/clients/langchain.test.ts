/**
 * Conformance: LangChain's `ChatOpenAI` and `OpenAIEmbeddings` (`@langchain/openai`), unmodified
 * but for the base URL and the fetch they hand to the openai SDK inside.
 */
import { HumanMessage } from '@langchain/core/messages'
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai'
import { describe, expect, it } from 'vitest'
import { gatewayFetch, withTenant } from '../helpers/gateway'

const caller = withTenant()

function chat(model: string, streaming = false): ChatOpenAI {
  return new ChatOpenAI({
    model,
    apiKey: caller.tenant.secret,
    streaming,
    maxRetries: 0,
    configuration: { baseURL: 'http://gateway/v1', fetch: gatewayFetch },
  })
}

describe('client @langchain/openai', () => {
  it('@langchain/openai ChatOpenAI: invoke', async () => {
    const answer = await chat('mock-gpt').invoke([new HumanMessage('Hello from LangChain')])
    expect(String(answer.content).length).toBeGreaterThan(0)
    expect(answer.usage_metadata?.output_tokens).toBeGreaterThan(0)
  })

  it('@langchain/openai ChatOpenAI: stream', async () => {
    let text = ''
    for await (const chunk of await chat('claude-sonnet-4-5', true).stream('Stream, LangChain')) {
      text += String(chunk.content)
    }
    expect(text.length).toBeGreaterThan(0)
  })

  it('@langchain/openai ChatOpenAI: bindTools and a tool call', async () => {
    const model = chat('mock-gpt').bindTools([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ])
    const answer = await model.invoke('Weather in Oslo?')
    expect(answer.tool_calls?.[0]).toMatchObject({ name: 'get_weather' })
    expect(answer.tool_calls?.[0]?.args).toHaveProperty('city')
  })

  it('@langchain/openai OpenAIEmbeddings: embedQuery', async () => {
    const embeddings = new OpenAIEmbeddings({
      model: 'mock-embed',
      apiKey: caller.tenant.secret,
      maxRetries: 0,
      configuration: { baseURL: 'http://gateway/v1', fetch: gatewayFetch },
    })
    expect(await embeddings.embedQuery('edge')).toHaveLength(384)
  })

  it('@langchain/openai ChatOpenAI: a failure rejects with the status', async () => {
    await expect(chat('no-such-model').invoke('x')).rejects.toMatchObject({ status: 404 })
  })
})
