/** `POST /v1/messages` in Anthropic's exact JSON and SSE event shapes. */
import { type Answer, answer, answerTokens } from './answer.ts'
import type { Reply } from './deliver.ts'
import type { EndpointInput } from './endpoint.ts'
import { errorBody } from './errors.ts'
import { eventFrame } from './sse.ts'
import { countTokens, hashString } from './text.ts'
import { isPositiveInteger, isRecord, toolCallId } from './tools.ts'

type MessagesRequest = {
  system: string
  messages: Array<{ role: string; text: string; hasToolResult: boolean }>
  maxTokens: number
  stop: string[]
  stream: boolean
  tool: { name: string; schema: unknown } | undefined
  toolTokens: number
}

/** What Anthropic sends when a stream breaks off; the `cut` control sends it too. */
const CUT_FRAME = eventFrame('error', {
  type: 'error',
  error: { type: 'overloaded_error', message: 'Overloaded' },
})

export function messages(input: EndpointInput): Reply {
  const request = parseMessagesRequest(input.body)
  if (typeof request === 'string') {
    return { kind: 'json', status: 400, body: errorBody('anthropic', 400, request) }
  }
  const seed = hashString(JSON.stringify([input.body.system, input.body.messages]))
  const result = answer({
    seed,
    transcript: () => transcriptOf(request),
    controls: input.controls,
    maxTokens: request.maxTokens,
    stop: request.stop,
    tool: request.tool,
  })
  const inputTokens =
    request.messages.reduce((sum, m) => sum + 3 + countTokens(m.text), 3) +
    countTokens(request.system) +
    request.toolTokens
  const outputTokens = answerTokens(result)
  const { nousage } = input.controls
  const id = `msg_${input.requestId}`
  const stop = { stop_reason: stopReason(result), stop_sequence: stopSequence(result) }
  const block = contentBlock(result, seed)
  if (!request.stream) {
    return {
      kind: 'json',
      status: 200,
      tokens: result.pieces.length,
      body: {
        id,
        type: 'message',
        role: 'assistant',
        model: input.model,
        content: [block],
        ...stop,
        ...(nousage ? {} : { usage: usageOf(inputTokens, outputTokens) }),
      },
    }
  }
  const start = {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: input.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      ...(nousage ? {} : { usage: usageOf(inputTokens, 1) }),
    },
  }
  const emptyBlock = block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} }
  const head =
    eventFrame('message_start', start) +
    eventFrame('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: emptyBlock,
    }) +
    eventFrame('ping', { type: 'ping' })
  const steps = result.pieces.map((piece) =>
    eventFrame('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta:
        result.kind === 'tool'
          ? { type: 'input_json_delta', partial_json: piece }
          : { type: 'text_delta', text: piece },
    })
  )
  const tail =
    eventFrame('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    eventFrame('message_delta', {
      type: 'message_delta',
      delta: stop,
      ...(nousage ? {} : { usage: { output_tokens: outputTokens } }),
    }) +
    eventFrame('message_stop', { type: 'message_stop' })
  return { kind: 'stream', head, steps, tail, cutFrame: CUT_FRAME }
}

function usageOf(inputTokens: number, outputTokens: number) {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  }
}

function stopReason(result: Answer): string {
  if (result.kind === 'tool') return 'tool_use'
  if (result.finish === 'length') return 'max_tokens'
  return result.finish === 'stop_sequence' ? 'stop_sequence' : 'end_turn'
}

function stopSequence(result: Answer): string | null {
  return result.kind === 'text' ? (result.stopSequence ?? null) : null
}

function contentBlock(result: Answer, seed: number) {
  if (result.kind === 'text') return { type: 'text', text: result.pieces.join('') }
  return {
    type: 'tool_use',
    id: toolCallId('toolu_', seed),
    name: result.name,
    input: result.input,
  }
}

function transcriptOf(request: MessagesRequest): string {
  const lines = request.messages.map((m) => `${m.role}: ${m.text}`)
  if (request.system !== '') lines.unshift(`system: ${request.system}`)
  return lines.join('\n')
}

function parseMessagesRequest(body: Record<string, unknown>): MessagesRequest | string {
  if (!isPositiveInteger(body.max_tokens)) return 'max_tokens: Field required (a positive integer)'
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return 'messages: Field required (a non-empty array)'
  }
  const parsed: MessagesRequest['messages'] = []
  for (const message of body.messages) {
    if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      return "messages: each message needs a role of 'user' or 'assistant'"
    }
    const blocks = typeof message.content === 'string' ? [] : message.content
    if (typeof message.content !== 'string' && !Array.isArray(blocks)) {
      return 'messages: content must be a string or an array of content blocks'
    }
    parsed.push({
      role: message.role,
      text: typeof message.content === 'string' ? message.content : blocksText(blocks),
      hasToolResult:
        Array.isArray(blocks) && blocks.some((b) => isRecord(b) && b.type === 'tool_result'),
    })
  }
  const system = body.system ?? ''
  if (typeof system !== 'string' && !Array.isArray(system)) {
    return 'system: must be a string or an array of text blocks'
  }
  const stop = body.stop_sequences ?? []
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string')) {
    return 'stop_sequences: must be an array of strings'
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    return 'stream: must be a boolean'
  const tools = body.tools ?? []
  if (!Array.isArray(tools)) return 'tools: must be an array'
  const last = parsed[parsed.length - 1]
  const wantsTool = last?.role === 'user' && !last.hasToolResult
  return {
    system: typeof system === 'string' ? system : blocksText(system),
    messages: parsed,
    maxTokens: body.max_tokens,
    stop,
    stream: body.stream === true,
    tool: wantsTool ? chosenTool(tools, body.tool_choice) : undefined,
    toolTokens: tools.length > 0 ? countTokens(JSON.stringify(tools)) : 0,
  }
}

function chosenTool(tools: unknown[], toolChoice: unknown): MessagesRequest['tool'] {
  if (isRecord(toolChoice) && toolChoice.type === 'none') return undefined
  const wanted = isRecord(toolChoice) && toolChoice.type === 'tool' ? toolChoice.name : undefined
  for (const tool of tools) {
    if (!isRecord(tool) || typeof tool.name !== 'string') continue
    if (wanted === undefined || tool.name === wanted) {
      return { name: tool.name, schema: tool.input_schema }
    }
  }
  return undefined
}

/** Text, tool calls and tool results as text; images and documents contribute nothing. */
function blocksText(blocks: unknown): string {
  if (!Array.isArray(blocks)) return ''
  return blocks
    .map((block) => {
      if (!isRecord(block)) return ''
      if (block.type === 'text' && typeof block.text === 'string') return block.text
      if (block.type === 'tool_use') return `${String(block.name)}${JSON.stringify(block.input)}`
      if (block.type === 'tool_result') {
        return typeof block.content === 'string' ? block.content : blocksText(block.content)
      }
      return ''
    })
    .join('')
}
