/**
 * @module
 * Server-sent events in both directions: an incremental parser for upstream bodies (events may
 * split across network chunks anywhere) and the encoder for what we send.
 */

export type SSEEvent = { event: string | undefined; data: string }

export async function* parseSSE(body: ReadableStream<Uint8Array>): AsyncGenerator<SSEEvent> {
  // Decoding inline, not through a TextDecoderStream: one stream hop less for every chunk.
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    while (true) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      let boundary = findBoundary(buffer)
      while (boundary) {
        const event = parseEvent(buffer.slice(0, boundary.index))
        buffer = buffer.slice(boundary.index + boundary.length)
        if (event) yield event
        boundary = findBoundary(buffer)
      }
    }
    const last = parseEvent(buffer + decoder.decode())
    if (last) yield last
  } finally {
    reader.releaseLock()
  }
}

function findBoundary(buffer: string): { index: number; length: number } | undefined {
  const lf = buffer.indexOf('\n\n')
  const crlf = buffer.indexOf('\r\n\r\n')
  if (lf === -1 && crlf === -1) return undefined
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { index: crlf, length: 4 }
  return { index: lf, length: 2 }
}

function parseEvent(block: string): SSEEvent | undefined {
  let event: string | undefined
  const data: string[] = []
  for (const rawLine of block.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1))
    if (field === 'data') data.push(value)
    else if (field === 'event') event = value
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined
}

const encoder = new TextEncoder()

export function encodeSSE(data: string, event?: string): Uint8Array {
  return encoder.encode(event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`)
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const
