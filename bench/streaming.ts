/**
 * Streamed chat completions timed from the client's side, which a load generator cannot see:
 * time to the first SSE data frame and to the end of the stream, one request at a time.
 */
export type StreamTiming =
  | { ok: true; firstFrameMs: number; totalMs: number }
  | { ok: false; error: string }

export async function timeStream(
  url: string,
  headers: Record<string, string>,
  body: string
): Promise<StreamTiming> {
  const started = performance.now()
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  if (!response.ok || !response.body) {
    return { ok: false, error: `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}` }
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let firstFrameMs: number | undefined
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (firstFrameMs === undefined && value.includes('data:')) {
      firstFrameMs = performance.now() - started
    }
    text += value
  }
  const totalMs = performance.now() - started
  if (firstFrameMs === undefined || !text.includes('data: [DONE]')) {
    return { ok: false, error: `stream ended without [DONE]: ${text.slice(-200)}` }
  }
  return { ok: true, firstFrameMs, totalMs }
}
