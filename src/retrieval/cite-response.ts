/**
 * @module
 * Citations, added where the answer is built: a `citations` field on a JSON completion, or a
 * `citations` event just before `[DONE]` on a stream (none when the stream ends in an error).
 * Each citation says whether the answer's text cites it.
 */
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { encodeSSE } from '../lib/sse'
import { type Citation, citations } from './rag'
import type { SearchHit } from './search'

export type CitedCompletion = ChatCompletion & { citations: Citation[] }

export function citeCompletion(completion: ChatCompletion, sources: SearchHit[]): CitedCompletion {
  const text = completion.choices.map((choice) => choice.message.content ?? '').join('')
  return { ...completion, citations: citations(sources, text) }
}

type ChunkIdentity = { id: string; model: string; created: number }

/**
 * A named event, so raw SSE readers can tell it apart; shaped like a chunk with no choices (as a
 * usage chunk is), because the official SDKs yield unknown named events as ordinary chunks.
 */
export function citationsFrame(
  identity: ChunkIdentity,
  sources: SearchHit[],
  answerText: string
): Uint8Array {
  const payload = {
    ...identity,
    object: 'chat.completion.citations',
    choices: [],
    citations: citations(sources, answerText),
  }
  return encodeSSE(JSON.stringify(payload), 'citations')
}
