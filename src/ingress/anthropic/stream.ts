/**
 * @module
 * The pipeline's OpenAI stream -> Anthropic's stream events, frame by frame and pulled by the
 * client: nothing is read from the pipeline before the client asks, so a slow client slows the
 * upstream and cancelling reaches it. Event order is Anthropic's: message_start, ping, then per
 * content block content_block_start / content_block_delta... / content_block_stop, then
 * message_delta (stop reason and the exact usage) and message_stop; a failure is an `error` event.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import type { ErrorType } from '../../errors'
import { isRecord, safeJsonParse } from '../../lib/json'
import { encodeSSE, parseSSE, type SSEEvent } from '../../lib/sse'
import { anthropicEnvelope } from './errors'
import {
  type AnthropicUsage,
  anthropicUsage,
  messageId,
  type StopReason,
  stopReason,
} from './from-chat'

type Open = { kind: 'text' } | { kind: 'tool'; toolIndex: number } | undefined

export type AnthropicStreamOptions = {
  /** What the client asked for, named in message_start until the upstream says otherwise. */
  model: string
  /** Shown in message_start; message_delta carries the exact count at the end. */
  inputTokensEstimate: number
}

export function toAnthropicStream(
  body: ReadableStream<Uint8Array>,
  options: AnthropicStreamOptions
): ReadableStream<Uint8Array> {
  // The parser holds its own reader; this one is ours, so cancelling can reach the pipeline
  // even while the parser waits on a read.
  const reader = body.getReader()
  const source = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      },
    },
    { highWaterMark: 0 }
  )
  const events = parseSSE(source)[Symbol.asyncIterator]()
  const translate = new Translator(options)
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Each pull enqueues at least one frame or ends the stream: a pull that only read a
        // usage chunk would leave the client's read waiting.
        for (;;) {
          const next = await events.next()
          const frames = next.done ? translate.ended() : translate.event(next.value)
          for (const frame of frames) controller.enqueue(frame)
          if (translate.finished) {
            controller.close()
            return
          }
          if (frames.length > 0) return
        }
      },
      async cancel(reason) {
        await reader.cancel(reason)
      },
    },
    { highWaterMark: 0 }
  )
}

class Translator {
  finished = false
  private started = false
  private id = `msg_${crypto.randomUUID().replaceAll('-', '')}`
  private model: string
  private blockIndex = -1
  private open: Open
  private stop: StopReason | null = null
  private usage: CompletionUsage | undefined
  private readonly inputTokensEstimate: number

  constructor(options: AnthropicStreamOptions) {
    this.model = options.model
    this.inputTokensEstimate = options.inputTokensEstimate
  }

  event({ event, data }: SSEEvent): Uint8Array[] {
    if (event === 'error') return this.failed(data)
    if (event === 'citations') return this.citations(data)
    if (event !== undefined) return []
    if (data === '[DONE]') return this.done()
    const chunk = safeJsonParse(data)
    // The pipeline's own output, already in OpenAI's chunk shape.
    return isRecord(chunk) ? this.chunk(chunk as unknown as ChatCompletionChunk) : []
  }

  /** The pipeline always ends with [DONE] or an error event; anything else is a broken stream. */
  ended(): Uint8Array[] {
    if (this.finished) return []
    return this.fail('The answer stream ended early; the answer is incomplete.')
  }

  private chunk(chunk: ChatCompletionChunk): Uint8Array[] {
    const frames = this.start(chunk)
    if (chunk.usage) this.usage = chunk.usage
    const choice = chunk.choices[0]
    if (!choice) return frames
    const { content, tool_calls: toolCalls } = choice.delta
    if (content) {
      if (this.open?.kind !== 'text')
        frames.push(...this.openBlock({ kind: 'text' }, { type: 'text', text: '' }))
      frames.push(
        this.frame('content_block_delta', {
          index: this.blockIndex,
          delta: { type: 'text_delta', text: content },
        })
      )
    }
    for (const call of toolCalls ?? []) {
      const same = this.open?.kind === 'tool' && this.open.toolIndex === call.index
      if (!same || call.id) {
        frames.push(
          ...this.openBlock(
            { kind: 'tool', toolIndex: call.index },
            { type: 'tool_use', id: call.id ?? '', name: call.function?.name ?? '', input: {} }
          )
        )
      }
      const partial = call.function?.arguments
      if (partial) {
        frames.push(
          this.frame('content_block_delta', {
            index: this.blockIndex,
            delta: { type: 'input_json_delta', partial_json: partial },
          })
        )
      }
    }
    if (choice.finish_reason) {
      this.stop = stopReason(choice.finish_reason)
      frames.push(...this.closeBlock())
    }
    return frames
  }

  private start(chunk: { id?: unknown; model?: unknown }): Uint8Array[] {
    if (this.started) return []
    this.started = true
    if (typeof chunk.id === 'string' && chunk.id) this.id = messageId(chunk.id)
    if (typeof chunk.model === 'string' && chunk.model) this.model = chunk.model
    const usage: AnthropicUsage = {
      input_tokens: this.inputTokensEstimate,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    }
    const message = {
      id: this.id,
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    }
    return [this.frame('message_start', { message }), this.frame('ping', {})]
  }

  private openBlock(open: NonNullable<Open>, block: Record<string, unknown>): Uint8Array[] {
    const frames = this.closeBlock()
    this.open = open
    this.blockIndex += 1
    frames.push(this.frame('content_block_start', { index: this.blockIndex, content_block: block }))
    return frames
  }

  private closeBlock(): Uint8Array[] {
    if (!this.open) return []
    this.open = undefined
    return [this.frame('content_block_stop', { index: this.blockIndex })]
  }

  private done(): Uint8Array[] {
    const frames = [...this.start({}), ...this.closeBlock()]
    frames.push(
      this.frame('message_delta', {
        delta: { stop_reason: this.stop ?? 'end_turn', stop_sequence: null },
        usage: anthropicUsage(this.usage),
      }),
      this.frame('message_stop', {})
    )
    this.finished = true
    return frames
  }

  private citations(data: string): Uint8Array[] {
    const payload = safeJsonParse(data)
    const citations = isRecord(payload) ? payload.citations : undefined
    return [encodeSSE(JSON.stringify({ type: 'citations', citations }), 'citations')]
  }

  private failed(data: string): Uint8Array[] {
    const payload = safeJsonParse(data)
    const error = isRecord(payload) && isRecord(payload.error) ? payload.error : {}
    const message = typeof error.message === 'string' ? error.message : 'The answer stream failed.'
    return this.fail(
      message,
      error.code === 'upstream_timeout' ? 'timeout_error' : 'upstream_error'
    )
  }

  private fail(message: string, type: ErrorType = 'upstream_error'): Uint8Array[] {
    this.finished = true
    return [encodeSSE(JSON.stringify(anthropicEnvelope(type, 502, message)), 'error')]
  }

  private frame(event: string, payload: Record<string, unknown>): Uint8Array {
    return encodeSSE(JSON.stringify({ type: event, ...payload }), event)
  }
}
