/**
 * @module
 * A stored completion served again: as the JSON an upstream would send, or as the SSE stream an
 * upstream would send (role chunk, content in small pieces, finish chunk, usage chunk when asked
 * for, [DONE]), so a client cannot tell a hit from a fresh answer except by `x-cache`. Usage
 * repeats the original counts and says they were saved, not spent.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import { randomBase64Url } from '../lib/crypto'
import { encodeSSE } from '../lib/sse'

type ReplayedUsage = CompletionUsage & { x_gateway: { cached: true; saved_tokens: number } }

export function savedTokens(completion: ChatCompletion): number {
  return completion.usage?.total_tokens ?? 0
}

/** The stored answer under a fresh id and time, as a new response would carry. */
export function replayedCompletion(stored: ChatCompletion): ChatCompletion {
  const usage: ReplayedUsage = {
    prompt_tokens: stored.usage?.prompt_tokens ?? 0,
    completion_tokens: stored.usage?.completion_tokens ?? 0,
    total_tokens: savedTokens(stored),
    x_gateway: { cached: true, saved_tokens: savedTokens(stored) },
  }
  return {
    ...stored,
    id: `chatcmpl-${randomBase64Url(18)}`,
    created: Math.floor(Date.now() / 1000),
    usage,
  }
}

/** Pieces of about a word each: a replay streams like a model does, not in one lump. */
const PIECE = /\S+\s*|\s+/g

export function replayStream(
  completion: ChatCompletion,
  includeUsage: boolean,
  beforeDone?: Uint8Array
): ReadableStream<Uint8Array> {
  const { usage, choices, ...identity } = completion
  const chunk = (chunkChoices: ChatCompletionChunk.Choice[]): ChatCompletionChunk => ({
    ...identity,
    object: 'chat.completion.chunk',
    choices: chunkChoices,
    ...(includeUsage ? { usage: null } : {}),
  })
  const delta = (index: number, value: ChatCompletionChunk.Choice.Delta) =>
    chunk([{ index, delta: value, logprobs: null, finish_reason: null }])
  const chunks: ChatCompletionChunk[] = []
  for (const choice of choices) {
    const { content, tool_calls: toolCalls } = choice.message
    chunks.push(delta(choice.index, { role: 'assistant', content: toolCalls ? null : '' }))
    for (const piece of content?.match(PIECE) ?? []) {
      chunks.push(delta(choice.index, { content: piece }))
    }
    ;(toolCalls ?? []).forEach((call, index) => {
      chunks.push(delta(choice.index, { tool_calls: [toolCallDelta(call, index)] }))
    })
    chunks.push(
      chunk([
        { index: choice.index, delta: {}, logprobs: null, finish_reason: choice.finish_reason },
      ])
    )
  }
  if (includeUsage && usage) chunks.push({ ...chunk([]), usage })
  const frames = chunks.map((c) => encodeSSE(JSON.stringify(c)))
  if (beforeDone) frames.push(beforeDone)
  frames.push(encodeSSE('[DONE]'))
  let next = 0
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const frame = frames[next++]
        if (frame) controller.enqueue(frame)
        else controller.close()
      },
    },
    { highWaterMark: 0 }
  )
}

function toolCallDelta(
  call: ChatCompletionMessageToolCall,
  index: number
): ChatCompletionChunk.Choice.Delta.ToolCall {
  const named = call.type === 'function' ? call.function : { name: '', arguments: '' }
  return { index, id: call.id, type: 'function', function: named }
}
