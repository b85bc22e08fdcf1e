/**
 * @module
 * Items, the Responses API's unit of history, as stored and listed (every item has an id and a
 * status), and their translation to the chat messages the pipeline sends upstream.
 */
import { GatewayError } from '../../errors'
import type { ChatMessage } from '../../openai/chat-request'
import type { ContentPart, InputItem } from './schema'

export type StoredContent = ContentPart & Record<string, unknown>

export type MessageItem = {
  type: 'message'
  id: string
  status: 'completed' | 'incomplete' | 'in_progress'
  role: 'user' | 'assistant' | 'system' | 'developer'
  content: StoredContent[]
}
export type FunctionCallItem = {
  type: 'function_call'
  id: string
  call_id: string
  name: string
  arguments: string
  status: 'completed' | 'incomplete' | 'in_progress'
}
export type FunctionCallOutputItem = {
  type: 'function_call_output'
  id: string
  call_id: string
  output: string | StoredContent[]
  status: 'completed'
}
export type Item = MessageItem | FunctionCallItem | FunctionCallOutputItem

export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`
}

export function outputText(text: string): StoredContent {
  return { type: 'output_text', text, annotations: [], logprobs: [] }
}

/** A request's input as stored items: ids given, strings become parts, reasoning is left out. */
export function toItems(input: string | InputItem[] | undefined): Item[] {
  if (input === undefined) return []
  if (typeof input === 'string') {
    return [
      {
        type: 'message',
        id: newId('msg'),
        status: 'completed',
        role: 'user',
        content: [{ type: 'input_text', text: input }],
      },
    ]
  }
  const items: Item[] = []
  for (const item of input) {
    if (item.type === 'reasoning') continue
    if (item.type === 'function_call') {
      items.push({
        type: 'function_call',
        id: item.id ?? newId('fc'),
        call_id: item.call_id,
        name: item.name,
        arguments: item.arguments,
        status: 'completed',
      })
    } else if (item.type === 'function_call_output') {
      items.push({
        type: 'function_call_output',
        id: item.id ?? newId('fco'),
        call_id: item.call_id,
        output: item.output,
        status: 'completed',
      })
    } else {
      const content: StoredContent[] =
        typeof item.content === 'string'
          ? [
              item.role === 'assistant'
                ? outputText(item.content)
                : { type: 'input_text', text: item.content },
            ]
          : item.content
      items.push({
        type: 'message',
        id: item.id ?? newId('msg'),
        status: 'completed',
        role: item.role,
        content,
      })
    }
  }
  return items
}

type ChatPart = Exclude<Extract<ChatMessage, { role: 'user' }>['content'], string>[number]

function chatPart(part: StoredContent): ChatPart {
  switch (part.type) {
    case 'input_image':
      return {
        type: 'image_url',
        image_url: {
          // The schema let no image through without its URL.
          url: part.image_url ?? '',
          ...(part.detail ? { detail: part.detail } : {}),
        },
      }
    case 'input_file':
      return {
        type: 'file',
        file: {
          ...(part.file_data !== undefined ? { file_data: part.file_data } : {}),
          ...(part.file_id ? { file_id: part.file_id } : {}),
          ...(part.filename !== undefined ? { filename: part.filename } : {}),
        },
      }
    case 'refusal':
      return { type: 'text', text: part.refusal }
    default:
      return { type: 'text', text: part.text }
  }
}

function partsText(parts: readonly StoredContent[]): string {
  return parts.map((part) => (part.type === 'refusal' ? part.refusal : chatText(part))).join('')
}

function chatText(part: StoredContent): string {
  return 'text' in part && typeof part.text === 'string' ? part.text : ''
}

/** Consecutive function calls (and the assistant text before them) make one assistant message. */
/** A request's input as items: at least one, or a 400. */
export function requiredInput(request: { input?: string | InputItem[] | undefined }): Item[] {
  const input = toItems(request.input)
  if (input.length === 0) {
    throw new GatewayError(400, 'input must name at least one item.', {
      param: 'input',
      code: 'invalid_request',
    })
  }
  return input
}

export function toChatMessages(items: readonly Item[]): ChatMessage[] {
  const messages: ChatMessage[] = []
  for (const item of items) {
    const last = messages.at(-1)
    if (item.type === 'function_call') {
      const call = {
        id: item.call_id,
        type: 'function' as const,
        function: { name: item.name, arguments: item.arguments },
      }
      if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call]
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] })
    } else if (item.type === 'function_call_output') {
      const output = typeof item.output === 'string' ? item.output : partsText(item.output)
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: output })
    } else if (item.role === 'assistant') {
      messages.push({ role: 'assistant', content: partsText(item.content) })
    } else {
      const textOnly = item.content.every((part) => part.type === 'input_text')
      messages.push({
        role: item.role,
        content: textOnly ? partsText(item.content) : item.content.map(chatPart),
      })
    }
  }
  return messages
}

/** Where each turn starts: a turn is a user message and everything after it up to the next. */
export function turnStarts(items: readonly Item[]): number[] {
  const starts: number[] = []
  items.forEach((item, index) => {
    if (item.type === 'message' && item.role === 'user') starts.push(index)
  })
  return starts
}

/** Plain text of items, for summarisation prompts. */
export function transcript(items: readonly Item[]): string {
  return items
    .map((item) => {
      if (item.type === 'function_call') return `assistant called ${item.name}(${item.arguments})`
      if (item.type === 'function_call_output') {
        const output = typeof item.output === 'string' ? item.output : partsText(item.output)
        return `tool result: ${output}`
      }
      return `${item.role}: ${partsText(item.content)}`
    })
    .join('\n')
}
