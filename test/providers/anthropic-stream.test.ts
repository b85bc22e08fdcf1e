import { describe, expect, it } from 'vitest'
import { anthropicStream } from '../../src/providers/anthropic/stream'
import { UpstreamStreamError } from '../../src/providers/errors'
import type { StreamItem } from '../../src/providers/types'
import { ERROR_STREAM, streamOf, TEXT_STREAM, TOOL_USE_STREAM } from '../fixtures/anthropic-streams'

async function collect(text: string): Promise<StreamItem[]> {
  const items: StreamItem[] = []
  for await (const item of anthropicStream(streamOf(text))) items.push(item)
  return items
}

describe('Anthropic stream -> OpenAI chunks', () => {
  it('maps a text stream chunk by chunk and keeps input tokens from message_start', async () => {
    const items = await collect(TEXT_STREAM)
    const deltas = items.flatMap((item) => (item.kind === 'chunk' ? [item.chunk.choices[0]] : []))
    expect(deltas.map((choice) => choice?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hello' },
      { content: '!' },
      {},
    ])
    expect(deltas.map((choice) => choice?.finish_reason)).toEqual([null, null, null, 'stop'])
    const chunk = items[0]?.kind === 'chunk' ? items[0].chunk : undefined
    expect(chunk).toMatchObject({
      id: 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion.chunk',
      model: 'claude-sonnet-4-5',
    })
    expect(items.at(-1)).toEqual({
      kind: 'usage',
      usage: { promptTokens: 30, completionTokens: 15, cachedTokens: 5 },
    })
  })

  it('maps tool use to tool_call deltas with OpenAI indexes', async () => {
    const items = await collect(TOOL_USE_STREAM)
    const deltas = items.flatMap((item) =>
      item.kind === 'chunk' ? [item.chunk.choices[0]?.delta] : []
    )
    expect(deltas).toContainEqual({ content: 'Let me check the weather.' })
    expect(deltas).toContainEqual({
      tool_calls: [
        {
          index: 0,
          id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
          type: 'function',
          function: { name: 'get_weather', arguments: '' },
        },
      ],
    })
    const args = deltas
      .flatMap((delta) => delta?.tool_calls ?? [])
      .map((call) => call.function?.arguments ?? '')
      .join('')
    expect(JSON.parse(args)).toEqual({ location: 'San Francisco, CA' })
    const last = items.findLast((item) => item.kind === 'chunk')
    expect(last?.kind === 'chunk' && last.chunk.choices[0]?.finish_reason).toBe('tool_calls')
    expect(items.at(-1)).toEqual({
      kind: 'usage',
      usage: { promptTokens: 472, completionTokens: 89, cachedTokens: 0 },
    })
  })

  it('turns an error event into a stream failure after the partial text', async () => {
    const seen: StreamItem[] = []
    const run = async () => {
      for await (const item of anthropicStream(streamOf(ERROR_STREAM))) seen.push(item)
    }
    await expect(run()).rejects.toBeInstanceOf(UpstreamStreamError)
    expect(
      seen.some(
        (item) => item.kind === 'chunk' && item.chunk.choices[0]?.delta.content === 'Partial'
      )
    ).toBe(true)
  })

  it('treats a stream that ends without message_stop as failed', async () => {
    const truncated = TEXT_STREAM.slice(0, TEXT_STREAM.indexOf('event: message_delta'))
    await expect(collect(truncated)).rejects.toBeInstanceOf(UpstreamStreamError)
  })
})
