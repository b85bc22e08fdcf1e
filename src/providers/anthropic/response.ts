import type {
  ChatCompletion,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions'
import { isRecord, type JsonRecord } from '../../lib/json'
import { UpstreamProtocolError } from '../errors'
import type { Usage } from '../types'
import { openAIUsage } from '../usage'

type FinishReason = ChatCompletion.Choice['finish_reason']

const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  pause_turn: 'stop',
}

export function finishReason(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' && FINISH_REASONS[stopReason]) || 'stop'
}

/** Input tokens include the prompt-cache reads and writes: all of them were sent. */
export function anthropicUsage(usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined
  const count = (name: string) => (typeof usage[name] === 'number' ? (usage[name] as number) : 0)
  const cachedTokens = count('cache_read_input_tokens')
  const cacheWriteTokens = count('cache_creation_input_tokens')
  return {
    promptTokens: count('input_tokens') + cachedTokens + cacheWriteTokens,
    completionTokens: count('output_tokens'),
    cachedTokens,
    ...(cacheWriteTokens > 0 ? { cacheWriteTokens } : {}),
  }
}

export function toChatCompletion(json: unknown): {
  completion: ChatCompletion
  usage: Usage | undefined
} {
  if (!isRecord(json) || !Array.isArray(json.content)) {
    throw new UpstreamProtocolError('Upstream sent a message without content')
  }
  const blocks = json.content.filter(isRecord)
  const text = blocks
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text ?? ''))
    .join('')
  const toolCalls = blocks.filter((block) => block.type === 'tool_use').map(toToolCall)
  const usage = anthropicUsage(json.usage)
  const completion: ChatCompletion = {
    id: `chatcmpl-${String(json.id ?? crypto.randomUUID())}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(json.model ?? ''),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length > 0 || toolCalls.length === 0 ? text : null,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReason(json.stop_reason),
        logprobs: null,
      },
    ],
    ...(usage ? { usage: openAIUsage(usage) } : {}),
  }
  return { completion, usage }
}

function toToolCall(block: JsonRecord): ChatCompletionMessageToolCall {
  return {
    id: String(block.id ?? ''),
    type: 'function',
    function: { name: String(block.name ?? ''), arguments: JSON.stringify(block.input ?? {}) },
  }
}
