/**
 * Turning HTTP input into Redis commands: JSON bodies for `/`, `/pipeline` and `/multi-exec`, and
 * the URL path form (`/set/key/value?EX=10`). Bad input throws a RequestError with its status.
 */
import type { IncomingMessage } from 'node:http'

export type Command = string[]

/** Upstash's documented request size limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024

export class RequestError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new RequestError(413, 'ERR max request size exceeded')
    chunks.push(chunk)
  }
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks)
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new RequestError(400, 'ERR failed to parse the request body as JSON')
  }
}

/** A command array such as `["SET","k",1]`; arguments become text the way String() would. */
export function toCommand(value: unknown): Command {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RequestError(400, 'ERR a command must be a non-empty JSON array')
  }
  return value.map((arg) => {
    if (typeof arg === 'string') return arg
    if (typeof arg === 'number' || typeof arg === 'boolean' || arg === null) return String(arg)
    throw new RequestError(400, 'ERR command arguments must be strings, numbers or booleans')
  })
}

/** `[["SET","a",1],["GET","a"]]` for `/pipeline` and `/multi-exec`. */
export function toCommandList(value: unknown): Command[] {
  if (!Array.isArray(value)) {
    throw new RequestError(400, 'ERR the body must be a JSON array of command arrays')
  }
  return value.map(toCommand)
}

/**
 * The path form: segments are arguments; a POST body is appended as the last argument, then each
 * query parameter (except `_token`) as name and value.
 */
export function commandFromPath(path: string, query: URLSearchParams, body: Buffer): Command {
  const args = pathSegments(path)
  if (body.length > 0) args.push(body.toString('utf8'))
  for (const [name, value] of query) if (name !== '_token') args.push(name, value)
  return toCommand(args)
}

/** The non-empty segments of a request path, percent-decoded. */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map(decodePathSegment)
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new RequestError(400, `ERR malformed percent-encoding in the path: ${segment}`)
  }
}
