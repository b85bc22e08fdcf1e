/**
 * @module
 * The Response object as OpenAI's API reference defines it, built from the request and from the
 * pipeline's chat completion (JSON) or from the streamed output (see stream.ts).
 */
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { type Item, newId, outputText } from './items'
import type { ResponsesRequest } from './schema'

export type ResponseUsage = {
  input_tokens: number
  input_tokens_details: { cached_tokens: number }
  output_tokens: number
  output_tokens_details: { reasoning_tokens: number }
  total_tokens: number
}

export type ResponseStatus =
  | 'queued'
  | 'in_progress'
  | 'completed'
  | 'incomplete'
  | 'failed'
  | 'cancelled'

/** Where a response ends; only background responses can be `cancelled`. */
export type TerminalStatus = 'completed' | 'incomplete' | 'failed' | 'cancelled'

export type ResponseObject = {
  id: string
  object: 'response'
  created_at: number
  completed_at: number | null
  status: ResponseStatus
  background: boolean
  error: { code: string; message: string } | null
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null
  instructions: string | null
  max_output_tokens: number | null
  metadata: Record<string, string>
  model: string
  output: Item[]
  output_text?: string
  parallel_tool_calls: boolean
  previous_response_id: string | null
  conversation: { id: string } | null
  reasoning: { effort: string | null; summary: null }
  safety_identifier: string | null
  service_tier: string | null
  store: boolean
  temperature: number | null
  text: { format: Record<string, unknown>; verbosity: string | null }
  tool_choice: unknown
  tools: unknown[]
  top_p: number | null
  truncation: 'auto' | 'disabled'
  usage: ResponseUsage | null
  user: string | null
}

/** What a turn knows before the upstream answers. */
export type TurnFacts = {
  id: string
  request: ResponsesRequest
  store: boolean
  truncation: 'auto' | 'disabled'
  conversationId: string | undefined
  /** Background responses start `queued`, run later and keep the create time. */
  background: boolean
  /** Epoch seconds. */
  createdAt: number
}

export function startedResponse(facts: TurnFacts): ResponseObject {
  const { request } = facts
  return {
    id: facts.id,
    object: 'response',
    created_at: facts.createdAt,
    completed_at: null,
    status: 'in_progress',
    background: facts.background,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    model: request.model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    conversation: facts.conversationId ? { id: facts.conversationId } : null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: null },
    safety_identifier: request.safety_identifier ?? null,
    service_tier: request.service_tier ?? 'default',
    store: facts.store,
    temperature: request.temperature ?? 1,
    text: {
      format: request.text?.format ?? { type: 'text' },
      verbosity: request.text?.verbosity ?? 'medium',
    },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: facts.truncation,
    usage: null,
    user: request.user ?? null,
  }
}

type ChatUsage = ChatCompletion['usage']

export function responseUsage(usage: ChatUsage): ResponseUsage | null {
  if (!usage) return null
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: {
      reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    },
    total_tokens: usage.total_tokens,
  }
}

/** finish_reason -> the Response's status; only `length` and `content_filter` cut an answer. */
export function finished(
  response: ResponseObject,
  output: Item[],
  finishReason: string | null | undefined,
  usage: ResponseUsage | null
): ResponseObject {
  const reason =
    finishReason === 'length'
      ? 'max_output_tokens'
      : finishReason === 'content_filter'
        ? 'content_filter'
        : undefined
  return {
    ...response,
    status: reason ? 'incomplete' : 'completed',
    completed_at: Math.floor(Date.now() / 1000),
    incomplete_details: reason ? { reason } : null,
    output,
    output_text: textOf(output),
    usage,
  }
}

export function textOf(output: readonly Item[]): string {
  return output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('')
}

/** The first choice of a chat completion as output items: the message, then its tool calls. */
export function completionOutput(completion: ChatCompletion): Item[] {
  const message = completion.choices[0]?.message
  if (!message) return []
  const output: Item[] = []
  const status = completion.choices[0]?.finish_reason === 'length' ? 'incomplete' : 'completed'
  if (message.content || message.refusal) {
    output.push({
      type: 'message',
      id: newId('msg'),
      status,
      role: 'assistant',
      content: message.refusal
        ? [{ type: 'refusal', refusal: message.refusal }]
        : [outputText(message.content ?? '')],
    })
  }
  for (const call of message.tool_calls ?? []) {
    if (call.type !== 'function') continue
    output.push({
      type: 'function_call',
      id: newId('fc'),
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      status: 'completed',
    })
  }
  return output
}
