/** Shared by the mock provider tests: raw SSE reading frame by frame, and the request log. */
import { inject } from 'vitest'

export const mockUrl = inject('mockProviderUrl')

export type Frame = { event: string | undefined; data: string; at: number }
export type Stream = { frames: Frame[]; startedAt: number; ending: 'end' | 'error' }

export function uniqueTag(): string {
  return `t-${crypto.randomUUID()}`
}

export function chatBody(model: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say something about edge gateways.' }],
    ...extra,
  })
}

export function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${mockUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x', ...headers },
    body,
  })
}

/**
 * Reads an SSE body chunk by chunk and timestamps each frame when it arrives; a body that breaks
 * off (the `cut` control) ends with `ending: 'error'` instead of throwing.
 */
export async function readFrames(response: Response, startedAt: number): Promise<Stream> {
  const body = response.body
  if (!body) throw new Error('response has no body')
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const frames: Frame[] = []
  let buffer = ''
  let ending: Stream['ending'] = 'end'
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>
    try {
      result = await reader.read()
    } catch {
      ending = 'error'
      break
    }
    if (result.done) break
    buffer += decoder.decode(result.value, { stream: true })
    let boundary = buffer.indexOf('\n\n')
    while (boundary !== -1) {
      frames.push(parseFrame(buffer.slice(0, boundary), Date.now()))
      buffer = buffer.slice(boundary + 2)
      boundary = buffer.indexOf('\n\n')
    }
  }
  return { frames, startedAt, ending }
}

function parseFrame(text: string, at: number): Frame {
  let event: string | undefined
  const data: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice('event: '.length)
    else if (line.startsWith('data: ')) data.push(line.slice('data: '.length))
  }
  return { event, data: data.join('\n'), at }
}

export type LoggedRequest = {
  id: string
  path: string
  model: string
  requestedModel: string
  tag: string
  stream: boolean
  body: Record<string, unknown>
  headerNames: string[]
  hasAuthorization: boolean
  hasApiKey: boolean
  status: number | null
  disconnected: boolean
  completed: boolean
  cut: boolean
}

export async function loggedRequests(tag: string): Promise<LoggedRequest[]> {
  const response = await fetch(`${mockUrl}/_mock/requests?tag=${encodeURIComponent(tag)}`)
  const { requests } = (await response.json()) as { requests: LoggedRequest[] }
  return requests
}

/** The log entry for `tag` once `ready` holds; the server notices a disconnect asynchronously. */
export async function waitForLogged(
  tag: string,
  ready: (entry: LoggedRequest) => boolean
): Promise<LoggedRequest> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [entry] = await loggedRequests(tag)
    if (entry && ready(entry)) return entry
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no logged request for ${tag} reached the expected state`)
}
