/** `POST /v1/chat/completions` in OpenAI's exact JSON and SSE chunk shapes. */
import { type Answer, answer, answerTokens, choiceSeed } from './answer.ts'
import type { Reply } from './deliver.ts'
import type { EndpointInput } from './endpoint.ts'
import { errorBody } from './errors.ts'
import { DONE_FRAME, dataFrame } from './sse.ts'
import { countTokens, hashString } from './text.ts'
import { isPositiveInteger, isRecord, toolCallId } from './tools.ts'

type ChatRequest = {
  messages: Array<{ role: string; text: string }>
  n: number
  maxTokens: number | undefined
  stop: string[]
  stream: boolean
  includeUsage: boolean
  tool: { name: string; schema: unknown } | undefined
  toolTokens: number
  format: { schema: unknown } | undefined
}

const SYSTEM_FINGERPRINT = 'fp_mock'

export function chatCompletions(input: EndpointInput): Reply {
  const request = parseChatRequest(input.body)
  if (typeof request === 'string') return invalid(request)
  const seed = hashString(JSON.stringify(input.body.messages))
  const answers: Answer[] = []
  for (let index = 0; index < request.n; index++) {
    answers.push(
      answer({
        seed: choiceSeed(seed, index),
        transcript: () => request.messages.map((m) => `${m.role}: ${m.text}`).join('\n'),
        controls: input.controls,
        maxTokens: request.maxTokens,
        stop: request.stop,
        tool: request.tool,
        format: request.format,
      })
    )
  }
  const promptTokens =
    request.messages.reduce((sum, m) => sum + 3 + countTokens(m.text), 3) + request.toolTokens
  const completionTokens = answers.reduce((sum, a) => sum + answerTokens(a), 0)
  const usage = input.controls.nousage ? undefined : chatUsage(promptTokens, completionTokens)
  const id = `chatcmpl-${input.requestId}`
  const base = {
    created: Math.floor(Date.now() / 1000),
    model: input.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
  }
  if (!request.stream) {
    return {
      kind: 'json',
      status: 200,
      tokens: Math.max(...answers.map((a) => a.pieces.length)),
      body: {
        id,
        object: 'chat.completion',
        ...base,
        choices: answers.map((a, index) => ({
          index,
          message: messageOf(a, choiceSeed(seed, index)),
          logprobs: null,
          finish_reason: finishReason(a),
        })),
        usage,
        service_tier: 'default',
      },
    }
  }
  const withUsage = request.includeUsage && usage !== undefined
  const chunk = (choices: unknown[]) =>
    dataFrame({
      id,
      object: 'chat.completion.chunk',
      ...base,
      choices,
      ...(withUsage ? { usage: null } : {}),
    })
  const choice = (index: number, delta: unknown, finish: string | null = null) => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finish,
  })
  const head = answers
    .map((a, index) => chunk([choice(index, firstDelta(a, choiceSeed(seed, index)))]))
    .join('')
  const stepCount = Math.max(...answers.map((a) => a.pieces.length))
  const steps: string[] = []
  for (let step = 0; step < stepCount; step++) {
    let frames = ''
    answers.forEach((a, index) => {
      const piece = a.pieces[step]
      if (piece === undefined) return
      const delta =
        a.kind === 'tool'
          ? { tool_calls: [{ index: 0, function: { arguments: piece } }] }
          : { content: piece }
      frames += chunk([choice(index, delta)])
    })
    steps.push(frames)
  }
  let tail = answers.map((a, index) => chunk([choice(index, {}, finishReason(a))])).join('')
  if (withUsage)
    tail += dataFrame({ id, object: 'chat.completion.chunk', ...base, choices: [], usage })
  return { kind: 'stream', head, steps, tail: tail + DONE_FRAME }
}

function chatUsage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  }
}

function finishReason(a: Answer): string {
  if (a.kind === 'tool') return 'tool_calls'
  return a.finish === 'length' ? 'length' : 'stop'
}

function messageOf(a: Answer, seed: number) {
  if (a.kind === 'text') {
    return { role: 'assistant', content: a.pieces.join(''), refusal: null, annotations: [] }
  }
  const call = {
    id: toolCallId('call_', seed),
    type: 'function',
    function: { name: a.name, arguments: JSON.stringify(a.input) },
  }
  return { role: 'assistant', content: null, tool_calls: [call], refusal: null, annotations: [] }
}

function firstDelta(a: Answer, seed: number) {
  if (a.kind === 'text') return { role: 'assistant', content: '', refusal: null }
  const call = {
    index: 0,
    id: toolCallId('call_', seed),
    type: 'function',
    function: { name: a.name, arguments: '' },
  }
  return { role: 'assistant', content: null, tool_calls: [call], refusal: null }
}

function invalid(message: string): Reply {
  return { kind: 'json', status: 400, body: errorBody('openai', 400, message) }
}

/** Returns the request, or a message saying what is wrong with it. */
function parseChatRequest(body: Record<string, unknown>): ChatRequest | string {
  const { messages } = body
  if (!Array.isArray(messages) || messages.length === 0) {
    return "'messages' must be a non-empty array"
  }
  const parsed: ChatRequest['messages'] = []
  for (const message of messages) {
    if (!isRecord(message) || typeof message.role !== 'string') {
      return "each of 'messages' must be an object with a string 'role'"
    }
    parsed.push({ role: message.role, text: messageText(message) })
  }
  const n = body.n ?? 1
  if (!isPositiveInteger(n) || n > 128) {
    return "'n' must be an integer from 1 to 128"
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined
  if (maxTokens !== undefined && !isPositiveInteger(maxTokens)) {
    return "'max_tokens' / 'max_completion_tokens' must be a positive integer"
  }
  const stop = body.stop ?? []
  const stops = typeof stop === 'string' ? [stop] : stop
  if (!Array.isArray(stops) || stops.length > 4 || !stops.every((s) => typeof s === 'string')) {
    return "'stop' must be a string or an array of up to 4 strings"
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return "'stream' must be a boolean"
  }
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true
  const tools = body.tools ?? []
  if (!Array.isArray(tools)) return "'tools' must be an array"
  const last = parsed[parsed.length - 1]
  return {
    messages: parsed,
    n,
    maxTokens,
    stop: stops,
    stream: body.stream === true,
    includeUsage,
    tool: last?.role === 'user' ? chosenTool(tools, body.tool_choice) : undefined,
    toolTokens: tools.length > 0 ? countTokens(JSON.stringify(tools)) : 0,
    format: structuredFormat(body.response_format),
  }
}

/** `response_format`: json_schema answers with JSON valid against the schema, json_object with JSON. */
function structuredFormat(format: unknown): ChatRequest['format'] {
  if (!isRecord(format)) return undefined
  if (format.type === 'json_object') return { schema: undefined }
  if (format.type === 'json_schema' && isRecord(format.json_schema)) {
    return { schema: format.json_schema.schema }
  }
  return undefined
}

function chosenTool(tools: unknown[], toolChoice: unknown): ChatRequest['tool'] {
  if (toolChoice === 'none') return undefined
  const wanted =
    isRecord(toolChoice) && isRecord(toolChoice.function) ? toolChoice.function.name : undefined
  for (const tool of tools) {
    if (!isRecord(tool) || !isRecord(tool.function) || typeof tool.function.name !== 'string') {
      continue
    }
    if (wanted === undefined || tool.function.name === wanted) {
      return { name: tool.function.name, schema: tool.function.parameters }
    }
  }
  return undefined
}

/** The text a message contributes: its content parts plus any tool calls it carries. */
function messageText(message: Record<string, unknown>): string {
  const { content } = message
  let text = ''
  if (typeof content === 'string') text = content
  else if (Array.isArray(content)) {
    text = content
      .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
      .join('')
  }
  if (Array.isArray(message.tool_calls)) text += JSON.stringify(message.tool_calls)
  return text
}
