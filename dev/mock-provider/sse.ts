/** Server-sent-event framing, in the exact layout OpenAI and Anthropic put on the wire. */

export function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`
}

export function eventFrame(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`
}

export const DONE_FRAME = 'data: [DONE]\n\n'

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
}
