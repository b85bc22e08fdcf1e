/**
 * @module
 * The chat completions request as OpenAI documents it, validated at the edge. Objects are loose:
 * fields we do not know pass through to OpenAI-compatible upstreams untouched.
 */
import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'
import { FilterText } from '../retrieval/settings'

const text = lazy(() => z.string())

/** Far above any real model name, far below what makes matching or logging it costly. */
export const MAX_MODEL_NAME_LENGTH = 256

/**
 * Printable ASCII, no surrounding spaces: a model name ends up in the `x-gateway-target`
 * header, in upstream URLs and in usage keys, where a control character breaks each of them.
 */
export const ModelName = lazy(() =>
  text().check(
    z.maxLength(MAX_MODEL_NAME_LENGTH),
    z.regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, 'must be printable ASCII')
  )
)

/** A caller-chosen label (`user`): forwarded, hashed into cache keys, never routed on. */
const label = lazy(() => text().check(z.maxLength(256)))
const nonNegativeInt = lazy(() => z.int().check(z.nonnegative()))

const TextPart = lazy(() => z.looseObject({ type: z.literal('text'), text: text() }))
const ContentPart = lazy(() =>
  z.discriminatedUnion('type', [
    TextPart(),
    z.looseObject({ type: z.literal('image_url'), image_url: z.looseObject({ url: text() }) }),
    z.looseObject({ type: z.literal('input_audio'), input_audio: z.looseObject({ data: text() }) }),
    z.looseObject({ type: z.literal('file'), file: z.looseObject({}) }),
    z.looseObject({ type: z.literal('refusal'), refusal: text() }),
  ])
)
const Content = lazy(() => z.union([text(), z.array(ContentPart()).check(z.minLength(1))]))

const ToolCall = lazy(() =>
  z.looseObject({
    id: text(),
    type: z.literal('function'),
    function: z.looseObject({ name: text(), arguments: text() }),
  })
)

const Message = lazy(() =>
  z.discriminatedUnion('role', [
    z.looseObject({ role: z.literal('system'), content: Content(), name: z.optional(text()) }),
    z.looseObject({ role: z.literal('developer'), content: Content(), name: z.optional(text()) }),
    z.looseObject({ role: z.literal('user'), content: Content(), name: z.optional(text()) }),
    z.looseObject({
      role: z.literal('assistant'),
      content: z.optional(z.nullable(Content())),
      name: z.optional(text()),
      tool_calls: z.optional(z.array(ToolCall())),
      refusal: z.optional(z.nullable(text())),
    }),
    z.looseObject({ role: z.literal('tool'), content: Content(), tool_call_id: text() }),
    z.looseObject({ role: z.literal('function'), content: z.nullable(text()), name: text() }),
  ])
)

const FunctionTool = lazy(() =>
  z.looseObject({
    type: z.literal('function'),
    function: z.looseObject({
      name: text().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')),
      description: z.optional(text()),
      parameters: z.optional(z.record(z.string(), z.unknown())),
      strict: z.optional(z.nullable(z.boolean())),
    }),
  })
)

const ToolChoice = lazy(() =>
  z.union([
    z.enum(['none', 'auto', 'required']),
    z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: text() }) }),
  ])
)

const ResponseFormat = lazy(() =>
  z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('text') }),
    z.looseObject({ type: z.literal('json_object') }),
    z.looseObject({ type: z.literal('json_schema'), json_schema: z.looseObject({ name: text() }) }),
  ])
)

/** Retrieval-augmented chat: a gateway extension, removed before the request goes upstream. */
export const RetrievalOptions = lazy(() =>
  z.object({
    collection: text().check(z.minLength(1), z.maxLength(64)),
    top_k: z.optional(z.int().check(z.gte(1), z.lte(50))),
    filter: z.optional(FilterText()),
  })
)

export const ChatRequestSchema = lazy(() =>
  z.looseObject({
    model: ModelName(),
    messages: z.array(Message()).check(z.minLength(1)),
    stream: z.optional(z.nullable(z.boolean())),
    stream_options: z.optional(
      z.nullable(z.looseObject({ include_usage: z.optional(z.boolean()) }))
    ),
    tools: z.optional(z.array(FunctionTool())),
    tool_choice: z.optional(ToolChoice()),
    parallel_tool_calls: z.optional(z.boolean()),
    response_format: z.optional(ResponseFormat()),
    n: z.optional(z.nullable(z.int().check(z.gte(1), z.lte(128)))),
    stop: z.optional(z.nullable(z.union([text(), z.array(text()).check(z.maxLength(4))]))),
    max_tokens: z.optional(z.nullable(nonNegativeInt())),
    max_completion_tokens: z.optional(z.nullable(nonNegativeInt())),
    temperature: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(2)))),
    top_p: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(1)))),
    presence_penalty: z.optional(z.nullable(z.number().check(z.gte(-2), z.lte(2)))),
    frequency_penalty: z.optional(z.nullable(z.number().check(z.gte(-2), z.lte(2)))),
    seed: z.optional(z.nullable(z.int())),
    user: z.optional(label()),
    logprobs: z.optional(z.nullable(z.boolean())),
    top_logprobs: z.optional(z.nullable(z.int().check(z.gte(0), z.lte(20)))),
    logit_bias: z.optional(z.nullable(z.record(z.string(), z.number()))),
    retrieval: z.optional(RetrievalOptions()),
  })
)

export type ChatRequest = z.infer<ReturnType<typeof ChatRequestSchema>>
export type ChatMessage = ChatRequest['messages'][number]

export const EmbeddingsRequestSchema = lazy(() =>
  z.looseObject({
    model: ModelName(),
    input: z.union([
      text(),
      z.array(text()).check(z.minLength(1), z.maxLength(2048)),
      z.array(z.int()).check(z.minLength(1)),
      z.array(z.array(z.int()).check(z.minLength(1))).check(z.minLength(1), z.maxLength(2048)),
    ]),
    encoding_format: z.optional(z.enum(['float', 'base64'])),
    dimensions: z.optional(z.int().check(z.gte(1))),
    user: z.optional(label()),
  })
)

export type EmbeddingsRequest = z.infer<ReturnType<typeof EmbeddingsRequestSchema>>
