import { describe, expect, it } from 'vitest'
import { cachingTenant, trackedGateway } from '../cache/helpers'
import { chatRequest, gatewayFetch, mockRequests, uniqueTag, withTenant } from '../helpers/gateway'
import { readFrames } from '../helpers/sse'

const caller = withTenant()

const messages = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  gatewayFetch('http://gateway/v1/messages', {
    method: 'POST',
    headers: {
      'x-api-key': caller.tenant.secret,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  })

describe('POST /v1/messages (Anthropic Messages API in)', () => {
  it('answers a message object with usage, routed to an OpenAI-compatible target', async () => {
    const response = await messages({
      model: 'mock-gpt',
      max_tokens: 64,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello there' }],
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    for (const name of ['x-gateway-target', 'x-gateway-attempts', 'x-request-id']) {
      expect(response.headers.get(name), name).toBeTruthy()
    }
    const message = (await response.json()) as Record<string, unknown>
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      stop_reason: 'end_turn',
      stop_sequence: null,
      content: [{ type: 'text' }],
      usage: {
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    })
    expect(String(message.id)).toMatch(/^msg_/)
  })

  it('maps system, tools, tool_use / tool_result, stop_sequences and thinking to an Anthropic target', async () => {
    const tag = uniqueTag()
    // What an Anthropic target must receive exactly as the client sent it.
    const unchanged = {
      max_tokens: 2048,
      stop_sequences: ['END'],
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      metadata: { user_id: 'u-1' },
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'any' },
    }
    const toolTurns = [
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' },
          { type: 'text', text: 'And tomorrow?' },
        ],
      },
    ]
    const response = await messages({
      model: `anthropic/claude-sonnet-4-5:tag=${tag}`,
      system: [{ type: 'text', text: 'Be brief.' }],
      ...unchanged,
      messages: [{ role: 'user', content: 'Weather?' }, ...toolTurns],
    })
    expect(response.status).toBe(200)
    await response.body?.cancel()
    const [upstream] = await mockRequests(tag)
    expect(upstream?.body).toMatchObject({
      system: 'Be brief.',
      ...unchanged,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather?' }] }, ...toolTurns],
    })
  })

  it('keeps Anthropic-only settings away from OpenAI-compatible targets', async () => {
    const tag = uniqueTag()
    const response = await messages({
      model: `mock/m:tag=${tag}`,
      max_tokens: 16,
      top_k: 3,
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(response.status).toBe(200)
    await response.body?.cancel()
    const [upstream] = await mockRequests(tag)
    expect(upstream?.body).not.toHaveProperty('x_anthropic')
    expect(upstream?.body).not.toHaveProperty('top_k')
  })

  it('streams Anthropic events in order, with the exact usage in message_delta', async () => {
    const response = await messages({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'Stream to me' }],
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/)
    const frames = await readFrames(response.body)
    const names = frames.map((frame) => frame.event)
    expect(names.slice(0, 3)).toEqual(['message_start', 'ping', 'content_block_start'])
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop'])
    for (const frame of frames) expect(JSON.parse(frame.data).type).toBe(frame.event)
    const deltas = frames.filter((frame) => frame.event === 'content_block_delta')
    expect(deltas.length).toBeGreaterThan(1)
    expect(JSON.parse(deltas[0]?.data ?? '{}').delta.type).toBe('text_delta')
    const end = JSON.parse(frames.at(-2)?.data ?? '{}')
    expect(end.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null })
    expect(end.usage.output_tokens).toBeGreaterThan(0)
    expect(end.usage.input_tokens).toBeGreaterThan(0)
  })

  it('streams tool use as tool_use blocks with input_json_delta', async () => {
    const response = await messages({
      model: 'mock-gpt',
      max_tokens: 64,
      stream: true,
      tools: [
        {
          name: 'get_weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      messages: [{ role: 'user', content: 'Weather in Rome?' }],
    })
    const frames = await readFrames(response.body)
    const start = frames.find((frame) => frame.event === 'content_block_start')
    expect(JSON.parse(start?.data ?? '{}').content_block).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: {},
    })
    const json = frames
      .filter((frame) => frame.event === 'content_block_delta')
      .map((frame) => JSON.parse(frame.data).delta)
    expect(json.every((delta) => delta.type === 'input_json_delta')).toBe(true)
    expect(JSON.parse(json.map((delta) => delta.partial_json).join(''))).toHaveProperty('city')
    const end = frames.find((frame) => frame.event === 'message_delta')
    expect(JSON.parse(end?.data ?? '{}').delta.stop_reason).toBe('tool_use')
  })

  it('pulls from the upstream only as the client reads, and cancels it when the client goes', async () => {
    const tag = uniqueTag()
    const response = await messages({
      model: `anthropic/claude-sonnet-4-5:tokens=200,delay=20,tag=${tag}`,
      max_tokens: 1024,
      stream: true,
      messages: [{ role: 'user', content: 'A long answer, please' }],
    })
    // Two frames read (message_start and ping come in one), then the client goes.
    const frames = response.body?.getReader()
    for (let read = 0; read < 2; read += 1) await frames?.read()
    await frames?.cancel()
    const upstream = async () => (await mockRequests(tag))[0]
    await expect.poll(async () => (await upstream())?.disconnected, { timeout: 5_000 }).toBe(true)
    expect((await upstream())?.completed).toBe(false)
  })

  it('ends a stream that breaks upstream with an Anthropic error event', async () => {
    const response = await messages({
      model: 'anthropic/claude-sonnet-4-5:cut=3',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'Break off, please' }],
    })
    const frames = await readFrames(response.body)
    const last = frames.at(-1)
    expect(last?.event).toBe('error')
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: expect.any(String) },
    })
  })

  it('refuses bad input with a 400 in Anthropic envelope, naming the field', async () => {
    const response = await messages({
      model: 'mock-gpt',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    })
    const url = await messages({
      model: 'mock-gpt',
      max_tokens: 8,
      messages: [
        {
          role: 'user',
          content: [{ type: 'document', source: { type: 'url', url: 'http://169.254.169.254/' } }],
        },
      ],
    })
    expect(url.status).toBe(400)
    expect(((await url.json()) as { error: { message: string } }).error.message).toMatch(/URL/)
    const notJson = await gatewayFetch('http://gateway/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': caller.tenant.secret, 'content-type': 'application/json' },
      body: '{',
    })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { type: string }).type).toBe('error')
    // The same bounds as the chat dialect: a model name and an end-user label.
    for (const bad of [{ model: 'm'.repeat(1_000) }, { metadata: { user_id: 'u'.repeat(300) } }]) {
      const refused = await messages({
        model: 'mock-gpt',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x' }],
        ...bad,
      })
      expect(refused.status).toBe(400)
      expect(((await refused.json()) as { error: { type: string } }).error.type).toBe(
        'invalid_request_error'
      )
    }
  })

  it('answers authentication and unknown-model failures in Anthropic envelope', async () => {
    const unauthorized = await messages(
      { model: 'mock-gpt', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
      { 'x-api-key': 'sk-gw-nope' }
    )
    expect(unauthorized.status).toBe(401)
    expect(await unauthorized.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    })
    const unknown = await messages({
      model: 'no-such-model',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(unknown.status).toBeGreaterThanOrEqual(400)
    expect(unknown.status).toBeLessThan(500)
    expect(((await unknown.json()) as { type: string }).type).toBe('error')
  })

  it('counts tokens: {"input_tokens": N}, growing with the prompt', async () => {
    const count = async (content: string) => {
      const response = await gatewayFetch(
        'http://gateway/v1/messages/count_tokens',
        chatRequest(caller.tenant.secret, {
          model: 'claude-sonnet-4-5',
          messages: [{ role: 'user', content }],
        })
      )
      expect(response.status).toBe(200)
      return (await response.json()) as { input_tokens: number }
    }
    const short = await count('Hi')
    const long = await count('Hi '.repeat(200))
    expect(Object.keys(short)).toEqual(['input_tokens'])
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens)
  })
})

describe('POST /v1/messages through the cache', () => {
  const gateway = trackedGateway()

  it('misses, then hits: the same message in JSON and as a stream, with the cache headers', async () => {
    const tenant = await cachingTenant()
    const tag = uniqueTag()
    const ask = async (stream: boolean) => {
      const response = await gateway.fetch('http://gateway/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': tenant.secret, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: `mock/m:tag=${tag}`,
          max_tokens: 64,
          stream,
          messages: [{ role: 'user', content: 'Name three rivers' }],
        }),
      })
      await gateway.settled()
      return response
    }
    const miss = await ask(false)
    expect(miss.headers.get('x-cache')).toBe('MISS')
    const first = (await miss.json()) as { content: unknown; usage: Record<string, number> }
    const hit = await ask(false)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    for (const name of ['x-gateway-target', 'x-gateway-attempts', 'age']) {
      expect(hit.headers.get(name), name).not.toBeNull()
    }
    expect(await hit.json()).toMatchObject({ type: 'message', content: first.content })
    const streamed = await ask(true)
    expect(streamed.headers.get('x-cache')).toBe('HIT')
    const frames = await readFrames(streamed.body)
    expect(frames.map((frame) => frame.event).at(-1)).toBe('message_stop')
    const text = frames
      .filter((frame) => frame.event === 'content_block_delta')
      .map((frame) => JSON.parse(frame.data).delta.text)
      .join('')
    expect([{ type: 'text', text }]).toEqual(first.content)
    expect(await mockRequests(tag)).toHaveLength(1)
  })
})
