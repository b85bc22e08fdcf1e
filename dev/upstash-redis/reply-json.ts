/**
 * RESP2 replies as the JSON Upstash returns. With `Upstash-Encoding: base64` every string is
 * base64 of its raw bytes, except a top-level `OK` status, which Upstash leaves plain.
 */
import { ErrorReply, type RespValue, StatusReply } from './resp.ts'

export type JsonValue = string | number | null | JsonValue[]
export type ItemResult = { result: JsonValue } | { error: string }

export function itemResult(reply: RespValue, base64: boolean): ItemResult {
  if (reply instanceof ErrorReply) return { error: reply.message }
  if (reply instanceof StatusReply && reply.text === 'OK') return { result: 'OK' }
  return { result: toJson(reply, base64) }
}

function toJson(reply: RespValue, base64: boolean): JsonValue {
  if (reply === null || typeof reply === 'number') return reply
  if (Array.isArray(reply)) return reply.map((item) => toJson(item, base64))
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString('base64') : reply.toString('utf8')
  // Lua may return a status or an error inside a table; both travel as plain strings there.
  const text = reply instanceof StatusReply ? reply.text : reply.message
  return base64 ? Buffer.from(text).toString('base64') : text
}
