/**
 * @module
 * The pipeline's OpenAI-shaped answer -> Anthropic's Message object: content blocks (text, then
 * tool_use), stop_reason, and usage split the way Anthropic reports it (input tokens exclude
 * the prompt-cache reads, which are counted apart).
 */
import type { ChatCompletion } from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import { isRecord, safeJsonParse } from '../../lib/json'

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal'

export type AnthropicUsage = {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
}

export type TextBlock = { type: 'text'; text: string }
export type ToolUseBlock = {
  type: 'tool_use'
  id: string
  name: string
  input: Record<string, unknown>
}

export type AnthropicMessage = {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: Array<TextBlock | ToolUseBlock>
  stop_reason: StopReason | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

type FinishReason = ChatCompletion.Choice['finish_reason']

const STOP_REASONS: Record<FinishReason, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
}

export function stopReason(finish: FinishReason | null | undefined): StopReason {
  return (finish && STOP_REASONS[finish]) || 'end_turn'
}

/**
 * OpenAI counts prompt-cache reads (and, as `cache_write_tokens`, writes) inside prompt_tokens;
 * Anthropic reports both beside input_tokens.
 */
export function anthropicUsage(usage: CompletionUsage | null | undefined): AnthropicUsage {
  const details = usage?.prompt_tokens_details
  const cached = details?.cached_tokens ?? 0
  const written =
    details && 'cache_write_tokens' in details && typeof details.cache_write_tokens === 'number'
      ? details.cache_write_tokens
      : 0
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached - written),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  }
}

/** `msg_…` ids, as Anthropic clients expect; an Anthropic upstream's own id is kept. */
export function messageId(completionId: string): string {
  const bare = completionId.replace(/^chatcmpl-/, '')
  return bare.startsWith('msg_') ? bare : `msg_${bare}`
}

export function toAnthropicMessage(
  completion: ChatCompletion,
  requestedModel: string
): AnthropicMessage {
  const choice = completion.choices[0]
  const content: AnthropicMessage['content'] = []
  const text = choice?.message.content
  if (text) content.push({ type: 'text', text })
  for (const call of choice?.message.tool_calls ?? []) {
    if (call.type !== 'function') continue
    content.push(toolUse(call.id, call.function.name, call.function.arguments))
  }
  return {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: completion.model || requestedModel,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  }
}

export function toolUse(id: string, name: string, argumentsJson: string): ToolUseBlock {
  const input = safeJsonParse(argumentsJson)
  return { type: 'tool_use', id, name, input: isRecord(input) ? input : {} }
}
