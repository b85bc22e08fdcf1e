/**
 * @module
 * Anthropic's Messages request -> the pipeline's internal form (OpenAI's chat request), so
 * limits, budgets, cache, retrieval and metering treat both dialects alike and any provider can
 * answer. Anthropic-only settings (`thinking`, `top_k`) ride in the field the Anthropic adapter
 * reads back, and only Anthropic targets see them.
 */
import { GatewayError } from '../../errors'
import type { ChatMessage, ChatRequest } from '../../openai/chat-request'
import { ANTHROPIC_PASSTHROUGH } from '../../providers/anthropic/request'
import type {
  AnthropicContentBlock,
  AnthropicMessageParam,
  CountTokensRequest,
  MessagesRequest,
} from './schema'

type ContentPart = Exclude<Extract<ChatMessage, { role: 'user' }>['content'], string>[number]
type ToolCall = NonNullable<Extract<ChatMessage, { role: 'assistant' }>['tool_calls']>[number]
type Block<T extends AnthropicContentBlock['type']> = Extract<AnthropicContentBlock, { type: T }>

export function toChatRequest(request: MessagesRequest): ChatRequest {
  const { thinking, top_k: topK } = request
  const passthrough = thinking !== undefined || topK !== undefined
  // Fields left undefined vanish from the JSON sent upstream and from the cache key alike.
  return {
    ...promptOf(request),
    max_tokens: request.max_tokens,
    stop: request.stop_sequences,
    temperature: request.temperature,
    top_p: request.top_p,
    user: request.metadata?.user_id ?? undefined,
    // The Anthropic answer needs usage at the end of a stream: ask the pipeline for it.
    ...(request.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    retrieval: request.retrieval,
    ...(passthrough ? { [ANTHROPIC_PASSTHROUGH]: { thinking, top_k: topK } } : {}),
  }
}

/** The prompt alone (what count_tokens counts): model, system, messages, tools. */
export function promptOf(request: CountTokensRequest): ChatRequest {
  const system = request.system === undefined ? [] : [systemMessage(request.system)]
  const messages = [...system, ...request.messages.flatMap(toChatMessages)]
  const tools = request.tools?.map((tool) => ({
    type: 'function' as const,
    function: { name: tool.name, description: tool.description, parameters: tool.input_schema },
  }))
  return { model: request.model, messages, tools, ...toolChoice(request.tool_choice) }
}

function systemMessage(system: NonNullable<CountTokensRequest['system']>): ChatMessage {
  const content = typeof system === 'string' ? system : system.map((block) => block.text).join('\n')
  return { role: 'system', content }
}

function toolChoice(choice: CountTokensRequest['tool_choice']): Partial<ChatRequest> {
  if (!choice) return {}
  const parallel =
    'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true
      ? { parallel_tool_calls: false }
      : {}
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel }
    case 'any':
      return { tool_choice: 'required', ...parallel }
    case 'none':
      return { tool_choice: 'none' }
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel }
  }
}

/**
 * One Anthropic turn may become several OpenAI messages: tool results are messages of their own
 * and must come straight after the assistant turn that called the tools, before any user text.
 */
function toChatMessages(message: AnthropicMessageParam, index: number): ChatMessage[] {
  const blocks: AnthropicContentBlock[] =
    typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : message.content
  const param = `messages[${index}].content`
  if (message.role === 'assistant') return [assistantMessage(blocks, param)]
  const results: ChatMessage[] = []
  const parts: ContentPart[] = []
  blocks.forEach((block, at) => {
    if (block.type === 'tool_result') results.push(toolMessage(block, `${param}[${at}]`))
    else parts.push(userPart(block, `${param}[${at}]`))
  })
  return parts.length > 0 ? [...results, { role: 'user', content: parts }] : results
}

function assistantMessage(blocks: AnthropicContentBlock[], param: string): ChatMessage {
  const text: string[] = []
  const toolCalls: ToolCall[] = []
  blocks.forEach((block, at) => {
    switch (block.type) {
      case 'text':
        text.push(block.text)
        return
      case 'tool_use':
        toolCalls.push({
          id: block.id,
          type: 'function',
          function: { name: block.name, arguments: JSON.stringify(block.input) },
        })
        return
      // Earlier reasoning has no OpenAI form; the model does not need it to continue.
      case 'thinking':
      case 'redacted_thinking':
        return
      default:
        throw unsupported(`${param}[${at}]`, `'${block.type}' blocks in assistant turns`)
    }
  })
  return {
    role: 'assistant',
    content: text.length > 0 ? text.join('') : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  }
}

function toolMessage(block: Block<'tool_result'>, param: string): ChatMessage {
  const content = block.content ?? ''
  const parts =
    typeof content === 'string'
      ? content
      : content
          .map((part, at) => {
            if (part.type === 'text') return part.text
            throw unsupported(`${param}.content[${at}]`, 'images inside tool results')
          })
          .join('')
  // OpenAI has no error flag on tool messages: say it in the text the model reads.
  return {
    role: 'tool',
    tool_call_id: block.tool_use_id,
    content: block.is_error ? `Error: ${parts}` : parts,
  }
}

function userPart(block: AnthropicContentBlock, param: string): ContentPart {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text }
    case 'image':
      return {
        type: 'image_url',
        image_url: {
          url:
            block.source.type === 'base64'
              ? `data:${block.source.media_type};base64,${block.source.data}`
              : block.source.url,
        },
      }
    case 'document':
      return documentPart(block, param)
    default:
      throw unsupported(param, `'${block.type}' blocks in user turns`)
  }
}

function documentPart(block: Block<'document'>, param: string): ContentPart {
  const { source } = block
  switch (source.type) {
    case 'base64':
      return {
        type: 'file',
        file: {
          file_data: `data:${source.media_type};base64,${source.data}`,
          filename: block.title ?? 'document.pdf',
        },
      }
    case 'text':
      return { type: 'text', text: titled(block.title, source.data) }
    case 'content': {
      const content =
        typeof source.content === 'string'
          ? source.content
          : source.content.map((part) => part.text).join('\n')
      return { type: 'text', text: titled(block.title, content) }
    }
    case 'url':
      // Fetching a client-named URL from the edge is an SSRF surface the gateway does not open.
      throw unsupported(`${param}.source`, 'documents by URL; send them as base64 or text')
  }
}

function titled(title: string | null | undefined, text: string): string {
  return title ? `${title}\n\n${text}` : text
}

function unsupported(param: string, what: string): GatewayError {
  return new GatewayError(400, `The gateway does not support ${what}.`, {
    param,
    code: 'unsupported_content',
  })
}
