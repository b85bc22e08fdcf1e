import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { chatRequest, gatewayFetch, mockRequests, uniqueTag, withTenant } from '../helpers/gateway'
import { dataChunks, readFrames } from '../helpers/sse'

const caller = withTenant()

describe('POST /v1/chat/completions through the official client', () => {
  it('answers a non-streamed request with a chat.completion and exact usage', async () => {
    const { data, response } = await caller.client.chat.completions
      .create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'Say hello' }] })
      .withResponse()
    expect(data.object).toBe('chat.completion')
    expect(data.choices[0]?.message.role).toBe('assistant')
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0)
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0)
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0)
    )
    expect(response.headers.get('x-gateway-target')).toBe('mock/mock-gpt')
    expect(response.headers.get('x-gateway-attempts')).toBe('1')
    expect(response.headers.get('x-gateway-overhead-ms')).toMatch(/^\d+\.\d$/)
    expect(response.headers.get('server-timing')).toMatch(/gateway;dur=[\d.]+, upstream;dur=[\d.]+/)
    expect(response.headers.get('x-request-id')).toMatch(/^req_/)
  })

  it('streams chunks the client iterates, and usage only when asked for', async () => {
    const stream = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'Stream me a few words' }],
      stream: true,
    })
    let text = ''
    let finish: string | null = null
    let sawUsage = false
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) sawUsage = true
    }
    expect(text.length).toBeGreaterThan(0)
    expect(finish).toBe('stop')
    expect(sawUsage).toBe(false)

    const withUsage = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'Stream me a few words' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let usage: OpenAI.CompletionUsage | undefined | null
    let streamed = ''
    for await (const chunk of withUsage) {
      streamed += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(streamed).toBe(text)
    expect(usage?.completion_tokens).toBeGreaterThan(0)
    expect(usage?.prompt_tokens).toBeGreaterThan(0)
  })

  it('asks the upstream for usage even when the client did not, and strips it', async () => {
    const tag = uniqueTag()
    const response = await gatewayFetch(
      'http://gateway/v1/chat/completions',
      chatRequest(caller.tenant.secret, {
        model: `mock/m:tag=${tag}`,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      })
    )
    const frames = await readFrames(response.body)
    expect(frames.at(-1)?.data).toBe('[DONE]')
    expect(
      dataChunks(frames).every((chunk) => Array.isArray(chunk.choices) && chunk.choices.length > 0)
    ).toBe(true)
    const [upstream] = await mockRequests(tag)
    expect(upstream?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
  })

  it('relays tool calls, streamed and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          },
        },
      },
    ]
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
    ]
    const completion = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      messages,
      tools,
    })
    const call = completion.choices[0]?.message.tool_calls?.[0]
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls')
    expect(call?.type === 'function' && call.function.name).toBe('get_weather')
    const args = call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined
    expect(typeof args.city).toBe('string')

    const stream = await caller.client.chat.completions.create({
      model: 'mock-gpt',
      messages,
      tools,
      stream: true,
    })
    let streamedArgs = ''
    let name = ''
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += delta.function?.name ?? ''
        streamedArgs += delta.function?.arguments ?? ''
      }
    }
    expect(name).toBe('get_weather')
    expect(JSON.parse(streamedArgs)).toEqual(args)
  })

  it('passes unknown fields through to OpenAI-compatible upstreams', async () => {
    const tag = uniqueTag()
    const response = await gatewayFetch(
      'http://gateway/v1/chat/completions',
      chatRequest(caller.tenant.secret, {
        model: `mock/m:tag=${tag}`,
        messages: [{ role: 'user', content: 'hi' }],
        reasoning_effort: 'low',
        metadata: { trace: 'abc' },
      })
    )
    expect(response.status).toBe(200)
    await response.body?.cancel()
    const [upstream] = await mockRequests(tag)
    expect(upstream?.body).toMatchObject({
      reasoning_effort: 'low',
      metadata: { trace: 'abc' },
      model: `m:tag=${tag}`,
    })
  })

  it('surfaces errors as the SDK APIError with the right status', async () => {
    const missing = caller.client.chat.completions.create({
      model: 'no-such-model',
      messages: [{ role: 'user', content: 'x' }],
    })
    await expect(missing).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
      param: 'model',
    })
    await expect(missing).rejects.toBeInstanceOf(OpenAI.APIError)

    const invalid = caller.client.chat.completions.create({
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'x' }],
      temperature: 7,
    })
    await expect(invalid).rejects.toMatchObject({ status: 400, param: 'temperature' })
  })
})

describe('request validation at the edge', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    gatewayFetch('http://gateway/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${caller.tenant.secret}`,
        'content-type': 'application/json',
        ...headers,
      },
      body,
    })

  it('400 for malformed JSON', async () => {
    const response = await post('{"model": "mock-gpt", "messages": [')
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: {
        message: 'The request body is not valid JSON.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_json',
      },
    })
  })

  it('400 naming the field for schema violations', async () => {
    const response = await post(
      JSON.stringify({
        model: 'mock-gpt',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'wizard', content: 'b' },
        ],
      })
    )
    expect(response.status).toBe(400)
    const { error } = (await response.json()) as { error: { param: string } }
    expect(error.param).toBe('messages[1].role')

    const empty = await post(JSON.stringify({ model: 'mock-gpt', messages: [] }))
    expect(((await empty.json()) as { error: { param: string } }).error.param).toBe('messages')
  })

  it('415 for another content type', async () => {
    const response = await post('{}', { 'content-type': 'text/plain' })
    expect(response.status).toBe(415)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'unsupported_media_type'
    )
  })

  it('413 past the body limit, with or without content-length', async () => {
    const huge = JSON.stringify({
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }],
    })
    const response = await post(huge)
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'request_too_large'
    )

    const chunked = await gatewayFetch('http://gateway/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${caller.tenant.secret}`,
        'content-type': 'application/json',
      },
      body: new Blob([huge]).stream(),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
    await chunked.body?.cancel()
  })
})
