/**
 * @module
 * Anthropic's Messages request (`POST /v1/messages`, `POST /v1/messages/count_tokens`) as
 * Anthropic documents it. Objects are loose, as Anthropic's own SDKs send fields newer than this
 * file; what the gateway cannot honour is refused by the mapping with a 400 naming the field.
 * The schemas are built on first use: a Worker isolate that never sees an Anthropic client never
 * pays for them at startup.
 */
import * as z from 'zod/mini'
import { lazy } from '../../lib/lazy'
import { ModelName, RetrievalOptions } from '../../openai/chat-request'

function build() {
  const text = z.string()
  const cacheControl = z.optional(z.nullable(z.looseObject({ type: z.literal('ephemeral') })))

  /** A source carried in the request: its kind (`base64`, `text`), media type and data. */
  const inline = <K extends string, M extends z.ZodMiniType>(kind: K, mediaType: M) =>
    z.looseObject({ type: z.literal(kind), media_type: mediaType, data: text })
  const byUrl = z.looseObject({ type: z.literal('url'), url: text })

  const TextBlock = z.looseObject({
    type: z.literal('text'),
    text,
    cache_control: cacheControl,
  })
  const ImageBlock = z.looseObject({
    type: z.literal('image'),
    source: z.discriminatedUnion('type', [
      inline('base64', z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])),
      byUrl,
    ]),
    cache_control: cacheControl,
  })
  const DocumentBlock = z.looseObject({
    type: z.literal('document'),
    source: z.discriminatedUnion('type', [
      inline('base64', z.literal('application/pdf')),
      inline('text', z.literal('text/plain')),
      byUrl,
      z.looseObject({ type: z.literal('content'), content: z.union([text, z.array(TextBlock)]) }),
    ]),
    title: z.optional(z.nullable(text)),
    context: z.optional(z.nullable(text)),
    cache_control: cacheControl,
  })
  const ToolUseBlock = z.looseObject({
    type: z.literal('tool_use'),
    id: text,
    name: text,
    input: z.record(z.string(), z.unknown()),
    cache_control: cacheControl,
  })
  const ToolResultBlock = z.looseObject({
    type: z.literal('tool_result'),
    tool_use_id: text,
    content: z.optional(
      z.union([text, z.array(z.discriminatedUnion('type', [TextBlock, ImageBlock]))])
    ),
    is_error: z.optional(z.boolean()),
    cache_control: cacheControl,
  })
  // Earlier turns' reasoning, sent back by clients that keep the whole transcript.
  const ThinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: text })
  const RedactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: text })

  const ContentBlock = z.discriminatedUnion('type', [
    TextBlock,
    ImageBlock,
    DocumentBlock,
    ToolUseBlock,
    ToolResultBlock,
    ThinkingBlock,
    RedactedThinkingBlock,
  ])

  const Message = z.looseObject({
    role: z.enum(['user', 'assistant']),
    content: z.union([text, z.array(ContentBlock)]),
  })

  const Tool = z.looseObject({
    // Server tools (web search, code execution...) run at Anthropic; only client tools map.
    type: z.optional(z.nullable(z.literal('custom'))),
    name: text.check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')),
    description: z.optional(text),
    input_schema: z.looseObject({ type: z.literal('object') }),
    cache_control: cacheControl,
  })

  const parallel = { disable_parallel_tool_use: z.optional(z.boolean()) }
  const ToolChoice = z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('auto'), ...parallel }),
    z.looseObject({ type: z.literal('any'), ...parallel }),
    z.looseObject({ type: z.literal('tool'), name: text, ...parallel }),
    z.looseObject({ type: z.literal('none') }),
  ])

  const Thinking = z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('enabled'), budget_tokens: z.int().check(z.gte(1)) }),
    z.looseObject({ type: z.literal('disabled') }),
    z.looseObject({ type: z.literal('adaptive') }),
  ])

  /** What both endpoints read: the prompt, as count_tokens counts it. */
  const prompt = {
    // The same bounds as every other dialect's model name.
    model: ModelName(),
    messages: z.array(Message).check(z.minLength(1)),
    system: z.optional(z.union([text, z.array(TextBlock)])),
    tools: z.optional(z.array(Tool)),
    tool_choice: z.optional(ToolChoice),
    thinking: z.optional(Thinking),
  }

  const MessagesRequest = z.looseObject({
    ...prompt,
    max_tokens: z.int().check(z.gte(1)),
    stop_sequences: z.optional(z.array(text)),
    stream: z.optional(z.boolean()),
    temperature: z.optional(z.number().check(z.gte(0), z.lte(1))),
    top_p: z.optional(z.number().check(z.gte(0), z.lte(1))),
    top_k: z.optional(z.int().check(z.gte(0))),
    // `user` on the chat side, with its bound.
    metadata: z.optional(
      z.looseObject({ user_id: z.optional(z.nullable(text.check(z.maxLength(256)))) })
    ),
    /** Retrieval-augmented answers: the gateway's extension, as on chat completions. */
    retrieval: z.optional(RetrievalOptions()),
  })

  const CountTokensRequest = z.looseObject(prompt)

  return { MessagesRequest, CountTokensRequest }
}

export const anthropicSchemas = lazy(build)
type Schemas = ReturnType<typeof anthropicSchemas>

export type MessagesRequest = z.infer<Schemas['MessagesRequest']>
export type CountTokensRequest = z.infer<Schemas['CountTokensRequest']>
export type AnthropicMessageParam = MessagesRequest['messages'][number]
export type AnthropicContentBlock = Exclude<AnthropicMessageParam['content'], string>[number]
