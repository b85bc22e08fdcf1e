/**
 * @module
 * Anthropic's typed stream events -> OpenAI chunks. Input tokens arrive in `message_start` and
 * output tokens in `message_delta`; both are kept so a streamed request is metered exactly.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { isRecord, safeJsonParse } from '../../lib/json'
import { parseSSE } from '../../lib/sse'
import { UpstreamProtocolError, UpstreamStreamError } from '../errors'
import type { StreamItem, Usage } from '../types'
import { anthropicUsage, finishReason } from './response'

type Delta = ChatCompletionChunk.Choice.Delta

export async function* anthropicStream(
  body: ReadableStream<Uint8Array>
): AsyncGenerator<StreamItem> {
  let id = `chatcmpl-${crypto.randomUUID()}`
  let model = ''
  const created = Math.floor(Date.now() / 1000)
  let usage: Usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }
  // Anthropic numbers content blocks; OpenAI numbers tool calls only.
  const toolIndexByBlock = new Map<number, number>()

  const chunk = (
    delta: Delta,
    finish: ChatCompletionChunk.Choice['finish_reason'] = null
  ): StreamItem => ({
    kind: 'chunk',
    chunk: {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    },
  })

  for await (const { event, data } of parseSSE(body)) {
    const json = safeJsonParse(data)
    if (!isRecord(json)) throw new UpstreamProtocolError('Upstream sent a malformed stream event')
    const type = event ?? json.type
    switch (type) {
      case 'message_start': {
        const message = isRecord(json.message) ? json.message : {}
        id = `chatcmpl-${String(message.id ?? crypto.randomUUID())}`
        model = String(message.model ?? '')
        usage = anthropicUsage(message.usage) ?? usage
        yield chunk({ role: 'assistant', content: '' })
        break
      }
      case 'content_block_start': {
        const block = isRecord(json.content_block) ? json.content_block : {}
        if (block.type !== 'tool_use') break
        const toolIndex = toolIndexByBlock.size
        toolIndexByBlock.set(Number(json.index), toolIndex)
        yield chunk({
          tool_calls: [
            {
              index: toolIndex,
              id: String(block.id ?? ''),
              type: 'function',
              function: { name: String(block.name ?? ''), arguments: '' },
            },
          ],
        })
        break
      }
      case 'content_block_delta': {
        const delta = isRecord(json.delta) ? json.delta : {}
        if (delta.type === 'text_delta') yield chunk({ content: String(delta.text ?? '') })
        if (delta.type === 'input_json_delta') {
          const index = toolIndexByBlock.get(Number(json.index)) ?? 0
          yield chunk({
            tool_calls: [{ index, function: { arguments: String(delta.partial_json ?? '') } }],
          })
        }
        break
      }
      case 'message_delta': {
        const delta = isRecord(json.delta) ? json.delta : {}
        const output = isRecord(json.usage) ? json.usage.output_tokens : undefined
        if (typeof output === 'number') usage = { ...usage, completionTokens: output }
        yield chunk({}, finishReason(delta.stop_reason))
        break
      }
      case 'message_stop':
        yield { kind: 'usage', usage }
        return
      case 'error': {
        const error = isRecord(json.error) ? json.error : {}
        throw new UpstreamStreamError(String(error.message ?? 'Upstream stream error'))
      }
    }
  }
  throw new UpstreamStreamError('Upstream ended the stream before message_stop')
}
