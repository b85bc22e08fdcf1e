/**
 * @module
 * Relays a mapped upstream stream to the client chunk by chunk, pulled by the client's reads, so
 * nothing is buffered and a slow client slows the upstream instead of filling memory. It meters
 * as it goes, ends a failed stream with an explicit error event (never a clean-looking [DONE]),
 * and cancels the upstream when the client goes away.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { GatewayError } from '../errors'
import { encodeSSE } from '../lib/sse'
import { estimateTokens } from '../lib/tokens'
import { UpstreamProtocolError } from '../providers/errors'
import type { StreamItem, Usage } from '../providers/types'
import { openAIUsage } from '../providers/usage'
import { StreamAccumulator } from './stream-accumulator'

export type RelayOutcome = {
  /** finished: upstream ended normally; failed: upstream broke mid-stream; cancelled: client left. */
  status: 'finished' | 'failed' | 'cancelled'
  usage: Usage
  usageEstimated: boolean
  answer: StreamAccumulator
}

export type RelayOptions = {
  first: IteratorResult<StreamItem>
  rest: AsyncIterator<StreamItem>
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean
  promptTokensEstimate: number
  abortUpstream(reason: unknown): void
  onEnd(outcome: RelayOutcome): void
  /** A last frame of the gateway's own (citations), sent only when the upstream finished. */
  beforeDone?: (answer: StreamAccumulator) => Uint8Array
}

const DONE = encodeSSE('[DONE]')

export function relayStream(options: RelayOptions): ReadableStream<Uint8Array> {
  const answer = new StreamAccumulator()
  let pending: IteratorResult<StreamItem> | undefined = options.first
  let usage: Usage | undefined
  let ended = false

  const end = (status: RelayOutcome['status']) => {
    if (ended) return
    ended = true
    const estimated = usage === undefined
    options.onEnd({
      status,
      usage: usage ?? estimateUsage(answer, options.promptTokensEstimate),
      usageEstimated: estimated,
      answer,
    })
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Each pull must enqueue something or end the stream: a pull that only swallowed a
          // usage item would leave the client's read waiting.
          for (;;) {
            const item = pending ?? (await options.rest.next())
            pending = undefined
            if (item.done) {
              if (options.includeUsage && usage === undefined) {
                const estimate = estimatedUsageChunk(answer, options.promptTokensEstimate)
                controller.enqueue(encodeSSE(JSON.stringify(estimate)))
              }
              if (options.beforeDone) controller.enqueue(options.beforeDone(answer))
              controller.enqueue(DONE)
              controller.close()
              end('finished')
              return
            }
            if (item.value.kind === 'chunk') {
              answer.add(item.value.chunk)
              controller.enqueue(encodeSSE(item.value.raw ?? JSON.stringify(item.value.chunk)))
              return
            }
            usage = item.value.usage
            // The gateway always asks upstreams for usage; the client sees it only if it asked.
            if (options.includeUsage) {
              const chunk = item.value.raw ?? JSON.stringify(usageChunk(answer, usage))
              controller.enqueue(encodeSSE(chunk))
              return
            }
          }
        } catch (error) {
          controller.enqueue(encodeSSE(JSON.stringify(streamError(error)), 'error'))
          controller.close()
          options.abortUpstream(error)
          end('failed')
        }
      },
      cancel(reason) {
        options.abortUpstream(reason)
        void options.rest.return?.()
        end('cancelled')
      },
    },
    // Pull one upstream item at a time: no read-ahead beyond what the client has taken.
    { highWaterMark: 0 }
  )
}

function streamError(error: unknown) {
  // The gateway's own refusals (a guardrail block) carry their envelope.
  if (error instanceof GatewayError) return error.toEnvelope()
  const timeout = error instanceof Error && /timeout/i.test(error.message)
  const invalid = error instanceof UpstreamProtocolError
  return {
    error: {
      message: timeout
        ? 'The upstream timed out mid-stream; the answer is incomplete.'
        : invalid
          ? 'The upstream sent an invalid chunk mid-stream; the answer is incomplete.'
          : 'The upstream failed mid-stream; the answer is incomplete.',
      type: 'upstream_error',
      param: null,
      code: timeout
        ? 'upstream_timeout'
        : invalid
          ? 'upstream_invalid_response'
          : 'upstream_stream_failed',
    },
  }
}

function usageChunk(answer: StreamAccumulator, usage: Usage): ChatCompletionChunk {
  return {
    ...answer.identity(),
    object: 'chat.completion.chunk',
    choices: [],
    usage: openAIUsage(usage),
  }
}

function estimatedUsageChunk(answer: StreamAccumulator, promptTokens: number) {
  return {
    ...usageChunk(answer, estimateUsage(answer, promptTokens)),
    x_gateway: { usage_estimated: true },
  }
}

export function estimateUsage(answer: StreamAccumulator, promptTokens: number): Usage {
  return { promptTokens, completionTokens: estimateTokens(answer.generatedText()), cachedTokens: 0 }
}
