/**
 * @module
 * Adds citations to a chat answer, whether fresh or served from the cache: a `citations` field
 * on a JSON completion, or a `citations` event just before `[DONE]` on a stream (none when the
 * stream ends in an error). Frames pass through untouched; the answer text is gathered on the
 * way, so each citation can say whether the answer cites it.
 */
import { isRecord, safeJsonParse } from '../lib/json'
import { type Citation, citations } from './rag'
import type { SearchHit } from './search'

type ChunkIdentity = { id: string; model: string; created: number }

export async function citeResponse(response: Response, sources: SearchHit[]): Promise<Response> {
  if (!response.ok || !response.body) return response
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const completion: unknown = await response.json()
    const text = isRecord(completion) ? choicesText(completion.choices, 'message') : ''
    const cited = isRecord(completion)
      ? { ...completion, citations: citations(sources, text) }
      : completion
    return new Response(JSON.stringify(cited), response)
  }
  return new Response(
    response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(citingTransform(sources))
      .pipeThrough(new TextEncoderStream()),
    response
  )
}

function citingTransform(sources: SearchHit[]): TransformStream<string, string> {
  let buffer = ''
  let answer = ''
  let identity: ChunkIdentity = { id: '', model: '', created: 0 }
  return new TransformStream({
    transform(text, controller) {
      buffer += text
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const frame = buffer.slice(0, end + 2)
        buffer = buffer.slice(end + 2)
        const data = frame.startsWith('data: ') ? frame.slice(6, -2) : undefined
        if (data === '[DONE]') {
          controller.enqueue(citationsEvent(identity, citations(sources, answer)))
        } else if (data !== undefined) {
          const chunk = safeJsonParse(data)
          if (isRecord(chunk)) {
            identity = {
              id: String(chunk.id ?? identity.id),
              model: String(chunk.model ?? identity.model),
              created: Number(chunk.created ?? identity.created),
            }
            answer += choicesText(chunk.choices, 'delta')
          }
        }
        controller.enqueue(frame)
        end = buffer.indexOf('\n\n')
      }
    },
    flush(controller) {
      if (buffer !== '') controller.enqueue(buffer)
    },
  })
}

/** The text of every choice's `message` (a completion) or `delta` (a chunk). */
function choicesText(choices: unknown, field: 'message' | 'delta'): string {
  if (!Array.isArray(choices)) return ''
  return choices
    .map((choice: unknown) => {
      const part = isRecord(choice) ? choice[field] : undefined
      return isRecord(part) && typeof part.content === 'string' ? part.content : ''
    })
    .join('')
}

/**
 * A named event, so raw SSE readers can tell it apart; shaped like a chunk with no choices (as a
 * usage chunk is), because the official SDKs yield unknown named events as ordinary chunks.
 */
function citationsEvent(identity: ChunkIdentity, list: Citation[]): string {
  const payload = { ...identity, object: 'chat.completion.citations', choices: [], citations: list }
  return `event: citations\ndata: ${JSON.stringify(payload)}\n\n`
}
