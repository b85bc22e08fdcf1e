/** One server-sent event as the client received it. */
export type Frame = { event: string | undefined; data: string }

/**
 * Reads a response body frame by frame, as a client would, keeping the exact framing: each
 * frame is checked to end with a blank line.
 */
export async function readFrames(body: ReadableStream<Uint8Array> | null): Promise<Frame[]> {
  if (!body) throw new Error('response has no body')
  const frames: Frame[] = []
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += value
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      frames.push(parseFrame(buffer.slice(0, end)))
      buffer = buffer.slice(end + 2)
      end = buffer.indexOf('\n\n')
    }
  }
  if (buffer.trim() !== '')
    throw new Error(`stream ended inside a frame: ${JSON.stringify(buffer)}`)
  return frames
}

function parseFrame(block: string): Frame {
  let event: string | undefined
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data.push(line.slice(6))
    else if (!line.startsWith(':')) throw new Error(`unexpected SSE line: ${JSON.stringify(line)}`)
  }
  return { event, data: data.join('\n') }
}

/** The JSON payloads of the data frames, without the closing [DONE]. */
export function dataChunks(frames: Frame[]): Array<Record<string, unknown>> {
  return frames
    .filter((f) => f.event === undefined && f.data !== '[DONE]')
    .map((f) => JSON.parse(f.data))
}
