import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { GatewayError } from '../errors'

/**
 * Deeper than any request the API defines (a tool's JSON schema included). Past it, parsing,
 * validating and hashing a body would recurse once per level: a few thousand levels overflow
 * the stack, so such a body is refused before it is parsed.
 */
export const MAX_JSON_DEPTH = 64

/**
 * The request's JSON body, after the checks an API owes its callers: 413 past the configured size
 * (counted while reading, so a missing or lying content-length cannot get around it), 415 for
 * a content type other than JSON, 400 for malformed JSON. With `optional`, an empty body reads as `{}`, for
 * endpoints whose fields all have defaults.
 */
export async function readJsonBody<E extends AppEnv>(
  c: Context<E>,
  options: { optional?: boolean } = {}
): Promise<unknown> {
  const limit = c.var.config.maxBodyBytes
  const declared = Number(c.req.header('content-length'))
  if (declared > limit) throw tooLarge(limit)
  const text = await readLimited(c.req.raw.body, limit)
  if (options.optional && text.trim() === '') return {}
  // No content type at all is read as JSON; another one is refused.
  const type = c.req.header('content-type')
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new GatewayError(415, 'Content-Type must be application/json.', {
      code: 'unsupported_media_type',
    })
  }
  if (nestingExceeds(text, MAX_JSON_DEPTH)) {
    throw new GatewayError(400, `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`, {
      code: 'json_too_deep',
    })
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new GatewayError(400, 'The request body is not valid JSON.', { code: 'invalid_json' })
  }
}

/** One pass over the text, counting brackets outside strings; malformed JSON is left to the parser. */
export function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c) i++
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > limit) return true
    } else if (char === 0x5d || char === 0x7d) depth--
  }
  return false
}

async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number
): Promise<string> {
  return new TextDecoder().decode(await readLimitedBytes(body, limit))
}

/** The body's bytes as sent, refused with a 413 as soon as they pass `limit`. */
export async function readLimitedBytes(
  body: ReadableStream<Uint8Array> | null,
  limit: number
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}

export function tooLarge(limit: number): GatewayError {
  return new GatewayError(413, `Request body exceeds the limit of ${limit} bytes.`, {
    code: 'request_too_large',
  })
}
