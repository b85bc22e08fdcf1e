/**
 * Two more clients whose defaults speak the Responses API, unmodified but for the base URL and
 * the fetch: the OpenAI Agents SDK and LangChain's ChatOpenAI with `useResponsesApi`.
 */
import { HumanMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { Agent, OpenAIResponsesModel, Runner, tool } from '@openai/agents'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { gatewayFetch, withTenant } from '../../helpers/gateway'

const caller = withTenant()

describe('Responses API clients', () => {
  it('the OpenAI Agents SDK runs an agent with one tool against /v1/responses', async () => {
    const client = new OpenAI({
      apiKey: caller.tenant.secret,
      baseURL: 'http://gateway/v1',
      fetch: gatewayFetch,
      maxRetries: 0,
    })
    let called = 0
    const weather = tool({
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        called++
        return `Sunny in ${city}`
      },
    })
    const agent = new Agent({
      name: 'forecaster',
      instructions: 'Answer with the tool.',
      model: new OpenAIResponsesModel(client, 'mock-gpt'),
      tools: [weather],
    })
    const result = await new Runner({ tracingDisabled: true }).run(agent, 'Weather in Oslo?')
    expect(called).toBe(1)
    expect(String(result.finalOutput ?? '').length).toBeGreaterThan(0)
  })

  it('LangChain ChatOpenAI with useResponsesApi answers and streams', async () => {
    const chat = new ChatOpenAI({
      model: 'mock-gpt',
      apiKey: caller.tenant.secret,
      useResponsesApi: true,
      maxRetries: 0,
      configuration: { baseURL: 'http://gateway/v1', fetch: gatewayFetch },
    })
    const answer = await chat.invoke([new HumanMessage('Hello through the Responses API')])
    expect(String(answer.text).length).toBeGreaterThan(0)
    expect(answer.id ?? answer.response_metadata.id).toMatch(/^resp_/)
    let streamed = ''
    for await (const chunk of await chat.stream('Stream a few words')) streamed += chunk.text
    expect(streamed.length).toBeGreaterThan(0)
  })
})
