/**
 * @module
 * The Responses and Conversations requests as OpenAI documents them, validated at the edge.
 * Unlike chat, the request is translated, not forwarded: a field the translation does not know
 * would be lost silently, so unknown fields are refused with a 400 naming them. Items are loose
 * (clients echo back output items with fields of their own, such as `status`).
 */
import * as z from 'zod/mini'
import { lazy } from '../../lib/lazy'
import { ModelName } from '../../openai/chat-request'

const text = lazy(() => z.string())
const label = lazy(() => text().check(z.maxLength(256)))

/** Up to 16 pairs, keys of up to 64 characters, values of up to 512, as OpenAI documents. */
export const Metadata = lazy(() =>
  z
    .record(text().check(z.maxLength(64)), text().check(z.maxLength(512)))
    .check(z.refine((value) => Object.keys(value).length <= 16, 'at most 16 pairs'))
)

const InputText = lazy(() => z.looseObject({ type: z.literal('input_text'), text: text() }))
const OutputText = lazy(() => z.looseObject({ type: z.literal('output_text'), text: text() }))
const ContentPart = lazy(() =>
  z.discriminatedUnion('type', [
    InputText(),
    OutputText(),
    z.looseObject({ type: z.literal('refusal'), refusal: text() }),
    // Chat completions, which every provider is reached through, takes an image by URL only,
    // and a file by its data or id: what cannot be carried is refused, not dropped.
    z
      .looseObject({
        type: z.literal('input_image'),
        image_url: z.optional(z.nullable(text())),
        file_id: z.optional(z.nullable(text())),
        detail: z.optional(z.enum(['low', 'high', 'auto'])),
      })
      .check(
        z.refine((part) => typeof part.image_url === 'string', {
          message: 'input_image needs image_url (a URL or a data: URL); file_id is not supported',
        })
      ),
    z
      .looseObject({
        type: z.literal('input_file'),
        file_data: z.optional(text()),
        file_id: z.optional(z.nullable(text())),
        filename: z.optional(text()),
        file_url: z.optional(text()),
      })
      .check(
        z.refine((part) => part.file_url === undefined, {
          message: 'input_file with file_url is not supported; send file_data or file_id',
        })
      ),
  ])
)
export type ContentPart = z.infer<ReturnType<typeof ContentPart>>

const MessageItem = lazy(() =>
  z.looseObject({
    type: z.optional(z.literal('message')),
    id: z.optional(text()),
    role: z.enum(['user', 'assistant', 'system', 'developer']),
    content: z.union([text(), z.array(ContentPart())]),
  })
)

const FunctionCallItem = lazy(() =>
  z.looseObject({
    type: z.literal('function_call'),
    id: z.optional(text()),
    call_id: text().check(z.minLength(1)),
    name: text().check(z.minLength(1)),
    arguments: text(),
  })
)

const FunctionCallOutputItem = lazy(() =>
  z.looseObject({
    type: z.literal('function_call_output'),
    id: z.optional(z.nullable(text())),
    call_id: text().check(z.minLength(1)),
    output: z.union([text(), z.array(ContentPart())]),
  })
)

/** Reasoning is provider-private (often encrypted): accepted from clients that echo it, not sent on. */
const ReasoningItem = lazy(() =>
  z.looseObject({ type: z.literal('reasoning'), id: z.optional(text()) })
)

export const InputItem = lazy(() =>
  z.union([MessageItem(), FunctionCallItem(), FunctionCallOutputItem(), ReasoningItem()])
)
export type InputItem = z.infer<ReturnType<typeof InputItem>>

const FunctionTool = lazy(() =>
  z.looseObject({
    type: z.literal('function'),
    name: text().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')),
    description: z.optional(z.nullable(text())),
    parameters: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
    strict: z.optional(z.nullable(z.boolean())),
  })
)

const ToolChoice = lazy(() =>
  z.union([
    z.enum(['none', 'auto', 'required']),
    z.looseObject({ type: z.literal('function'), name: text() }),
  ])
)

const TextFormat = lazy(() =>
  z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('text') }),
    z.looseObject({ type: z.literal('json_object') }),
    z.looseObject({
      type: z.literal('json_schema'),
      name: text().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')),
      schema: z.record(z.string(), z.unknown()),
      description: z.optional(text()),
      strict: z.optional(z.nullable(z.boolean())),
    }),
  ])
)

const ConversationParam = lazy(() =>
  z.union([text().check(z.minLength(1)), z.strictObject({ id: text().check(z.minLength(1)) })])
)

export const ResponsesRequestSchema = lazy(() =>
  z.strictObject({
    model: ModelName(),
    input: z.optional(z.union([text(), z.array(InputItem())])),
    instructions: z.optional(z.nullable(text())),
    previous_response_id: z.optional(z.nullable(text())),
    conversation: z.optional(z.nullable(ConversationParam())),
    store: z.optional(z.nullable(z.boolean())),
    stream: z.optional(z.nullable(z.boolean())),
    stream_options: z.optional(
      z.nullable(z.strictObject({ include_obfuscation: z.optional(z.boolean()) }))
    ),
    tools: z.optional(z.array(FunctionTool())),
    tool_choice: z.optional(ToolChoice()),
    parallel_tool_calls: z.optional(z.nullable(z.boolean())),
    text: z.optional(
      z.nullable(
        z.strictObject({
          format: z.optional(TextFormat()),
          verbosity: z.optional(z.nullable(z.enum(['low', 'medium', 'high']))),
        })
      )
    ),
    reasoning: z.optional(
      z.nullable(
        z.looseObject({
          effort: z.optional(z.nullable(z.enum(['none', 'minimal', 'low', 'medium', 'high']))),
        })
      )
    ),
    max_output_tokens: z.optional(z.nullable(z.int().check(z.minimum(1)))),
    temperature: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(2)))),
    top_p: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(1)))),
    truncation: z.optional(z.nullable(z.enum(['auto', 'disabled']))),
    metadata: z.optional(z.nullable(Metadata())),
    user: z.optional(label()),
    safety_identifier: z.optional(label()),
    prompt_cache_key: z.optional(label()),
    service_tier: z.optional(z.nullable(z.enum(['auto', 'default', 'flex', 'scale', 'priority']))),
    /** Accepted for clients that always send it; outputs are returned whole either way. */
    include: z.optional(z.nullable(z.array(text()))),
    background: z.optional(z.nullable(z.boolean())),
  })
)

export type ResponsesRequest = z.infer<ReturnType<typeof ResponsesRequestSchema>>

const MAX_CONVERSATION_ITEMS_PER_CALL = 20

export const CreateConversationSchema = lazy(() =>
  z.strictObject({
    items: z.optional(
      z.nullable(z.array(InputItem()).check(z.maxLength(MAX_CONVERSATION_ITEMS_PER_CALL)))
    ),
    metadata: z.optional(z.nullable(Metadata())),
  })
)

export const UpdateConversationSchema = lazy(() => z.strictObject({ metadata: Metadata() }))

export const AddItemsSchema = lazy(() =>
  z.strictObject({
    items: z.array(InputItem()).check(z.minLength(1), z.maxLength(MAX_CONVERSATION_ITEMS_PER_CALL)),
  })
)

export const ListQuerySchema = lazy(() =>
  z.strictObject({
    limit: z.optional(
      z.pipe(
        text().check(z.regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')),
        z.transform(Number)
      )
    ),
    order: z.optional(z.enum(['asc', 'desc'])),
    after: z.optional(text()),
    include: z.optional(text()),
    'include[]': z.optional(text()),
  })
)

/** GET /v1/responses/{id}: `stream=true` replays a background response's events after `starting_after`; other parameters (`include`) change nothing. */
export const RetrieveQuerySchema = lazy(() =>
  z.looseObject({
    stream: z.optional(z.enum(['true', 'false'])),
    starting_after: z.optional(
      z.pipe(text().check(z.regex(/^\d{1,9}$/, 'must be a sequence number')), z.transform(Number))
    ),
  })
)
