/**
 * The mock provider's Anthropic Messages surface through raw fetch: JSON answers, the exact SSE
 * event sequence, tool_use blocks, stop reasons, error envelopes and the mid-stream error event.
 */
import { describe, expect, it } from 'vitest'
import { mockUrl, readFrames, uniqueTag, waitForLogged } from './mock-provider-helpers'

const HEADERS = {
  'content-type': 'application/json',
  'x-api-key': 'x',
  'anthropic-version': '2023-06-01',
}

function messages(body: Record<string, unknown>, headers: Record<string, string> = HEADERS) {
  return fetch(`${mockUrl}/v1/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Tell me about edge gateways.' }],
      ...body,
    }),
  })
}

type Message = {
  id: string
  type: string
  role: string
  model: string
  content: Array<{ type: string; text?: string; id?: string; name?: string; input?: unknown }>
  stop_reason: string
  stop_sequence: string | null
  usage: { input_tokens: number; output_tokens: number }
}

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } },
    required: ['city'],
  },
}

describe('mock provider: Anthropic messages', () => {
  it('answers with a text block, end_turn and usage, deterministically', async () => {
    const first = (await (await messages({ system: 'Be brief.' })).json()) as Message
    const again = (await (await messages({ system: 'Be brief.' })).json()) as Message
    const noSystem = (await (await messages({})).json()) as Message
    expect(first).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5' })
    expect(first.id).toMatch(/^msg_/)
    expect(first.stop_reason).toBe('end_turn')
    expect(first.stop_sequence).toBeNull()
    expect(first.content).toHaveLength(1)
    expect(first.content[0]?.type).toBe('text')
    expect(again.content).toEqual(first.content)
    expect(noSystem.content).not.toEqual(first.content)
    // 3 + 3 around the message; "Tell| me| abou|t| edge| gate|ways|." is 8 and "Be| brie|f|." 4.
    expect(first.usage.input_tokens).toBe(18)
    expect(first.usage.output_tokens).toBeGreaterThanOrEqual(12)
  })

  it('streams the exact event sequence with usage in message_start and message_delta', async () => {
    const response = await messages({ model: 'claude-sonnet-4-5:tokens=4', stream: true })
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const { frames, ending } = await readFrames(response, Date.now())
    expect(ending).toBe('end')
    expect(frames.map((frame) => frame.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
    const data = frames.map((frame) => JSON.parse(frame.data) as Record<string, unknown>)
    expect(data.map((event) => event.type)).toEqual(frames.map((frame) => frame.event))
    expect(data[0]).toMatchObject({
      message: { role: 'assistant', content: [], stop_reason: null, usage: { input_tokens: 14 } },
    })
    expect(data[1]).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    })
    expect(data[3]).toMatchObject({ index: 0, delta: { type: 'text_delta' } })
    expect(data[8]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 4 },
    })
  })

  it('stops for max_tokens and stop sequences', async () => {
    const long = (await (await messages({ model: 'c:tokens=30' })).json()) as Message
    const text = long.content[0]?.text ?? ''
    const truncated = (await (
      await messages({ model: 'c:tokens=30', max_tokens: 5 })
    ).json()) as Message
    expect(truncated.stop_reason).toBe('max_tokens')
    expect(truncated.usage.output_tokens).toBe(5)
    const stopWord = text.split(' ')[4] ?? ''
    const stopped = (await (
      await messages({ model: 'c:tokens=30', stop_sequences: ['zzz', stopWord] })
    ).json()) as Message
    expect(stopped.stop_reason).toBe('stop_sequence')
    expect(stopped.stop_sequence).toBe(stopWord)
    expect(stopped.content[0]?.text).toBe(text.slice(0, text.indexOf(stopWord)))
  })

  it('answers tools with a tool_use block, streamed as input_json_delta', async () => {
    const plain = (await (await messages({ tools: [weatherTool] })).json()) as Message
    expect(plain.stop_reason).toBe('tool_use')
    const block = plain.content[0]
    expect(block).toMatchObject({ type: 'tool_use', name: 'get_weather' })
    expect(block?.id).toMatch(/^toolu_/)
    expect(block?.input).toMatchObject({ city: expect.any(String) })

    const response = await messages({ tools: [weatherTool], stream: true })
    const { frames } = await readFrames(response, Date.now())
    const data = frames.map((frame) => JSON.parse(frame.data) as Record<string, unknown>)
    expect(data[1]).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: block?.id, name: 'get_weather', input: {} },
    })
    const partial = data
      .filter((event) => event.type === 'content_block_delta')
      .map((event) => (event.delta as { type: string; partial_json: string }).partial_json)
    expect(JSON.parse(partial.join(''))).toEqual(block?.input)
    expect(data.find((event) => event.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'tool_use' },
    })

    const afterResult = (await (
      await messages({
        tools: [weatherTool],
        messages: [
          { role: 'user', content: 'Weather in Oslo?' },
          { role: 'assistant', content: [block] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: block?.id, content: '3 degrees' }],
          },
        ],
      })
    ).json()) as Message
    expect(afterResult.stop_reason).toBe('end_turn')
    expect(afterResult.content[0]?.type).toBe('text')
  })

  it('echoes the system prompt and messages', async () => {
    const echoed = (await (
      await messages({
        model: 'claude:echo',
        system: [{ type: 'text', text: 'Context: water is wet.' }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Is water wet?' }] }],
      })
    ).json()) as Message
    expect(echoed.content[0]?.text).toBe('system: Context: water is wet.\nuser: Is water wet?')
  })

  it("uses Anthropic's error envelope for bad requests and injected statuses", async () => {
    const missingMax = await messages({ max_tokens: undefined })
    expect(missingMax.status).toBe(400)
    expect(await missingMax.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    })
    const { 'anthropic-version': _, ...withoutVersion } = HEADERS
    const noVersion = await messages({}, withoutVersion)
    expect(noVersion.status).toBe(400)
    expect(await noVersion.json()).toMatchObject({
      error: { message: expect.stringContaining('anthropic-version') },
    })
    const expected: Record<number, string> = {
      429: 'rate_limit_error',
      500: 'api_error',
      529: 'overloaded_error',
    }
    for (const [status, type] of Object.entries(expected)) {
      const response = await messages({ model: `claude:status=${status}` })
      expect(response.status).toBe(Number(status))
      expect(await response.json()).toEqual({
        type: 'error',
        error: { type, message: expect.any(String) },
      })
    }
  })

  it('cut sends an error event mid-stream instead of message_stop', async () => {
    const tag = uniqueTag()
    const response = await messages({ model: `claude:cut=2,tokens=10,tag=${tag}`, stream: true })
    const { frames } = await readFrames(response, Date.now())
    expect(frames.map((frame) => frame.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'error',
    ])
    expect(JSON.parse(frames.at(-1)?.data ?? '')).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    })
    const entry = await waitForLogged(tag, () => true)
    expect(entry).toMatchObject({
      cut: true,
      completed: false,
      hasApiKey: true,
      path: '/v1/messages',
    })
  })
})
