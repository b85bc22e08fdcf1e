/**
 * @module
 * Token estimates for when no tokenizer answer exists yet (admission) or ever (upstreams that send
 * no usage). About four characters a token for English text, as OpenAI documents; estimates are
 * always marked as such wherever they are reported.
 */

export const CHARS_PER_TOKEN = 4
/** Each message costs a few tokens of framing (role, separators). */
const TOKENS_PER_MESSAGE = 4

export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / CHARS_PER_TOKEN)
}

export function estimateMessagesTokens(messages: ReadonlyArray<{ content?: unknown }>): number {
  return messages.reduce(
    (sum, message) => sum + TOKENS_PER_MESSAGE + estimateTokens(contentText(message.content)),
    0
  )
}

/** The text of a message's content, whether a string or an array of parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string'
        ? part.text
        : ''
    )
    .join('')
}
