import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { isRecord, safeJsonParse } from '../../lib/json'
import { parseSSE } from '../../lib/sse'
import { UpstreamStreamError } from '../errors'
import { checkChunk } from '../shape'
import type { StreamItem } from '../types'
import { readUsage } from '../usage'

/**
 * Passes OpenAI-style chunks on with their original bytes; the usage the gateway always asks for
 * comes out as its own item so the pipeline can meter it and drop it if the client did not ask.
 */
export async function* openAIStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamItem> {
  for await (const { data } of parseSSE(body)) {
    if (data === '[DONE]') return
    const json = checkChunk(safeJsonParse(data))
    if (isRecord(json.error)) {
      const message = typeof json.error.message === 'string' ? json.error.message : 'stream error'
      throw new UpstreamStreamError(message)
    }
    const chunk = json as unknown as ChatCompletionChunk
    const usage = readUsage(json.usage)
    const choices = Array.isArray(json.choices) ? json.choices : []
    if (usage && choices.length === 0) {
      yield { kind: 'usage', usage, chunk, raw: data }
    } else {
      yield { kind: 'chunk', chunk, raw: data }
      if (usage) yield { kind: 'usage', usage }
    }
  }
}
