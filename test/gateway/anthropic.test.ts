import type OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { chatRequest, gatewayFetch, mockRequests, uniqueTag, withTenant } from '../helpers/gateway'
import { dataChunks, readFrames } from '../helpers/sse'

const caller = withTenant()

describe('Anthropic behind the OpenAI API (mock provider speaking the Messages API)', () => {
  it('translates the request: system prompt, max_tokens, stop sequences, tools', async () => {
    const tag = uniqueTag()
    const response = await gatewayFetch(
      'http://gateway/v1/chat/completions',
      chatRequest(caller.tenant.secret, {
        model: `anthropic/claude-sonnet-4-5:tag=${tag}`,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
        ],
        stop: 'END',
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
          },
        ],
        tool_choice: 'auto',
      })
    )
    expect(response.status).toBe(200)
    await response.body?.cancel()
    const [upstream] = await mockRequests(tag)
    expect(upstream?.path).toBe('/v1/messages')
    expect(upstream?.hasApiKey).toBe(true)
    expect(upstream?.body).toMatchObject({
      system: 'Be brief.',
      max_tokens: 4096,
      stop_sequences: ['END'],
      tool_choice: { type: 'auto' },
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'Sunny' }],
        },
      ],
    })
  })

  it('answers non-streamed with an OpenAI completion and Anthropic usage', async () => {
    const completion = await caller.client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hello Claude' }],
    })
    expect(completion.object).toBe('chat.completion')
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0)
    expect(completion.choices[0]?.finish_reason).toBe('stop')
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0)
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0)
  })

  it('streams: role chunk first, text deltas, finish reason, usage with input tokens kept', async () => {
    const plain = await caller.client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Stream, Claude' }],
    })
    const response = await gatewayFetch(
      'http://gateway/v1/chat/completions',
      chatRequest(caller.tenant.secret, {
        model: 'claude-sonnet-4-5',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Stream, Claude' }],
      })
    )
    const frames = await readFrames(response.body)
    expect(frames.at(-1)?.data).toBe('[DONE]')
    const chunks = dataChunks(frames) as unknown as OpenAI.ChatCompletionChunk[]
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' })
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')
    expect(text).toBe(plain.choices[0]?.message.content)
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason)
    expect(finish?.choices[0]?.finish_reason).toBe('stop')
    const usage = chunks.at(-1)
    expect(usage?.choices).toEqual([])
    expect(usage?.usage?.prompt_tokens).toBe(plain.usage?.prompt_tokens)
    expect(usage?.usage?.completion_tokens).toBe(plain.usage?.completion_tokens)
  })

  it('streams tool use as OpenAI tool_call deltas', async () => {
    const stream = await caller.client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      stream: true,
      messages: [{ role: 'user', content: 'Weather in Rome?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    })
    let name = ''
    let args = ''
    let finish: string | null = null
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += call.function?.name ?? ''
        args += call.function?.arguments ?? ''
      }
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(name).toBe('get_weather')
    expect(typeof JSON.parse(args)).toBe('object')
    expect(finish).toBe('tool_calls')
  })

  it('ends the stream with an error event when Anthropic sends one mid-stream', async () => {
    const response = await gatewayFetch(
      'http://gateway/v1/chat/completions',
      chatRequest(caller.tenant.secret, {
        model: `anthropic/claude-sonnet-4-5:cut=2,tag=${uniqueTag()}`,
        stream: true,
        messages: [{ role: 'user', content: 'break' }],
      })
    )
    expect(response.status).toBe(200)
    const frames = await readFrames(response.body)
    expect(frames.at(-1)?.event).toBe('error')
    expect(frames.some((f) => f.data === '[DONE]')).toBe(false)
  })

  it('maps Anthropic errors before the first byte to OpenAI ones', async () => {
    const failing = caller.client.chat.completions.create({
      model: `anthropic/claude-sonnet-4-5:status=400,tag=${uniqueTag()}`,
      messages: [{ role: 'user', content: 'x' }],
    })
    await expect(failing).rejects.toMatchObject({ status: 400, type: 'invalid_request_error' })
  })
})
