/**
 * @module
 * OpenAI chat completions -> Anthropic Messages API: system prompts move to `system`, tool
 * results become user `tool_result` blocks, tool calls become `tool_use` blocks.
 */

import { GatewayError } from '../../errors'
import { isRecord, safeJsonParse } from '../../lib/json'
import type { ChatMessage, ChatRequest } from '../../openai/chat-request'

type Block = Record<string, unknown>
type AnthropicMessage = { role: 'user' | 'assistant'; content: Block[] }

/**
 * Anthropic-only settings (`thinking`, `top_k`) a request may carry in the internal form, for
 * Anthropic targets alone; the Anthropic ingress puts them here, other adapters drop the field.
 */
export const ANTHROPIC_PASSTHROUGH = 'x_anthropic'
const PASSTHROUGH_FIELDS = ['thinking', 'top_k'] as const

/** Anthropic requires max_tokens; OpenAI does not. */
export const DEFAULT_MAX_TOKENS = 4096

export function toAnthropicBody(
  body: ChatRequest,
  model: string,
  stream: boolean
): Record<string, unknown> {
  const system: string[] = []
  const messages: AnthropicMessage[] = []
  for (const message of body.messages) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push(textOf(message.content))
      continue
    }
    const converted = toAnthropicMessage(message)
    const previous = messages.at(-1)
    // Anthropic wants alternating roles: consecutive turns of one role are merged.
    if (previous && previous.role === converted.role) previous.content.push(...converted.content)
    else messages.push(converted)
  }
  const stop = body.stop == null ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop]
  return dropUndefined({
    model,
    messages,
    system: system.length > 0 ? system.join('\n\n') : undefined,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    stop_sequences: stop,
    temperature: body.temperature == null ? undefined : Math.min(body.temperature, 1),
    top_p: body.top_p ?? undefined,
    stream,
    tools: body.tools?.map((tool) => ({
      name: tool.function.name,
      description: tool.function.description,
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    })),
    tool_choice: toolChoice(body),
    metadata: body.user ? { user_id: body.user } : undefined,
    ...passthrough(body[ANTHROPIC_PASSTHROUGH]),
  })
}

function passthrough(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) return {}
  return Object.fromEntries(PASSTHROUGH_FIELDS.map((name) => [name, value[name]]))
}

function toolChoice(body: ChatRequest): Record<string, unknown> | undefined {
  const choice = body.tool_choice
  if (choice === undefined || !body.tools?.length) return undefined
  const parallel = body.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {}
  if (choice === 'auto') return { type: 'auto', ...parallel }
  if (choice === 'required') return { type: 'any', ...parallel }
  if (choice === 'none') return { type: 'none' }
  return { type: 'tool', name: choice.function.name, ...parallel }
}

function toAnthropicMessage(
  message: Exclude<ChatMessage, { role: 'system' | 'developer' }>
): AnthropicMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: contentBlocks(message.content) }
    case 'assistant': {
      const content = message.content == null ? [] : contentBlocks(message.content)
      for (const call of message.tool_calls ?? []) {
        const input = safeJsonParse(call.function.arguments)
        content.push({
          type: 'tool_use',
          id: call.id,
          name: call.function.name,
          input: isRecord(input) ? input : {},
        })
      }
      return { role: 'assistant', content }
    }
    case 'tool':
      return {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: message.tool_call_id,
            content: textOf(message.content),
          },
        ],
      }
    case 'function':
      throw new GatewayError(
        400,
        'Legacy function messages are not supported by Anthropic models; use tools.',
        {
          param: 'messages',
          code: 'unsupported_message',
        }
      )
  }
}

function contentBlocks(
  content: string | ReadonlyArray<Record<string, unknown> & { type: string }>
): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  return content.map((part): Block => {
    if (part.type === 'text' && typeof part.text === 'string')
      return { type: 'text', text: part.text }
    if (
      part.type === 'image_url' &&
      isRecord(part.image_url) &&
      typeof part.image_url.url === 'string'
    ) {
      return { type: 'image', source: imageSource(part.image_url.url) }
    }
    const pdf = part.type === 'file' && isRecord(part.file) ? pdfSource(part.file) : undefined
    if (pdf) return { type: 'document', source: pdf }
    throw new GatewayError(
      400,
      `Content part type '${part.type}' is not supported by Anthropic models.`,
      {
        param: 'messages',
        code: 'unsupported_content',
      }
    )
  })
}

function imageSource(url: string): Block {
  const dataUrl = /^data:([^;]+);base64,(.*)$/s.exec(url)
  if (dataUrl) return { type: 'base64', media_type: dataUrl[1], data: dataUrl[2] }
  return { type: 'url', url }
}

/** A PDF sent inline as OpenAI's `file` part (`file_data` is a data URL). */
function pdfSource(file: Record<string, unknown>): Block | undefined {
  const data = typeof file.file_data === 'string' ? file.file_data : ''
  const match = /^data:application\/pdf;base64,(.*)$/s.exec(data)
  return match ? { type: 'base64', media_type: 'application/pdf', data: match[1] } : undefined
}

function textOf(content: string | ReadonlyArray<Record<string, unknown>> | null): string {
  if (content === null) return ''
  if (typeof content === 'string') return content
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('')
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
}
