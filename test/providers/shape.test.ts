import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../src/errors'
import { UpstreamProtocolError } from '../../src/providers/errors'
import { openAICompatible } from '../../src/providers/openai-compatible'
import type { StreamItem } from '../../src/providers/types'
import type { PreparedTarget } from '../../src/routing/prepared-target'
import { dispatch } from '../../src/upstream/dispatch'
import { relayStream } from '../../src/upstream/relay'

const adapter = openAICompatible({ name: 'unit' })

const completion = (choices: unknown) => ({ id: 'c', object: 'chat.completion', choices })

describe('upstream answers are checked where they enter', () => {
  it('accepts a well-formed completion, with and without tool calls', () => {
    const ok = completion([
      { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
      {
        index: 1,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        finish_reason: 'tool_calls',
      },
    ])
    expect(adapter.chatResponse(ok, 'm').completion.choices).toHaveLength(2)
  })

  it.each([
    ['no choices', { id: 'c' }],
    ['a null choice', completion([null])],
    ['a message that is a number', completion([{ index: 0, message: 5 }])],
    ['content that is an object', completion([{ index: 0, message: { content: { a: 1 } } }])],
    [
      'a tool call without a name',
      completion([{ index: 0, message: { tool_calls: [{ function: {} }] } }]),
    ],
    ['a string body', 'oops'],
  ])('refuses %s as a protocol error', (_, json) => {
    expect(() => adapter.chatResponse(json, 'm')).toThrow(UpstreamProtocolError)
  })

  it('turns a malformed completion into a 502 upstream_invalid_response after retries', async () => {
    const target: PreparedTarget = {
      provider: 'unit',
      model: `m-${crypto.randomUUID()}`,
      weight: 1,
      priority: 0,
      timeoutMs: 5_000,
      firstByteTimeoutMs: 5_000,
      retries: 1,
      adapter,
      credentials: { apiKey: undefined, baseUrl: 'http://unused' },
    }
    let calls = 0
    const failed = await dispatch(
      [target],
      async () => {
        calls++
        return adapter.chatResponse(completion([null]), 'm')
      },
      { sleep: async () => {} }
    ).catch((error: unknown) => error)
    expect(calls).toBe(2)
    expect(failed).toBeInstanceOf(GatewayError)
    expect(failed).toMatchObject({ status: 502, code: 'upstream_invalid_response' })
  })

  it('ends a stream whose chunk is malformed with an explicit error event', async () => {
    const upstream = new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = {
          id: 'c',
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { content: 'a' } }],
        }
        controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk)}\n\n`))
        controller.enqueue(new TextEncoder().encode('data: {"choices":[{"delta":7}]}\n\n'))
        controller.close()
      },
    })
    const items = adapter.chatStream(upstream)[Symbol.asyncIterator]()
    const first: IteratorResult<StreamItem> = await items.next()
    let status = ''
    const relayed = relayStream({
      first,
      rest: items,
      includeUsage: false,
      promptTokensEstimate: 1,
      abortUpstream: () => {},
      onEnd: (outcome) => {
        status = outcome.status
      },
    })
    const text = await new Response(relayed).text()
    const frames = text.split('\n\n').filter(Boolean)
    expect(frames).toHaveLength(2)
    expect(frames[1]).toMatch(/^event: error\ndata: /)
    expect(JSON.parse(frames[1]?.split('data: ')[1] ?? '{}')).toMatchObject({
      error: { code: 'upstream_invalid_response', type: 'upstream_error' },
    })
    expect(text).not.toContain('[DONE]')
    expect(status).toBe('failed')
  })
})
