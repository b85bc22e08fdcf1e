/**
 * @module
 * What identifies a cached answer. The exact key hashes everything that changes the output: the
 * tenant, the targets that may serve it, the messages and every parameter. The semantic side
 * splits the same request in two: the text that is embedded (similarity decides) and everything
 * else, hashed into a partition that must match exactly.
 */

import { sha256Hex } from '../lib/crypto'
import { isRecord } from '../lib/json'
import type { ChatMessage, ChatRequest } from '../openai/chat-request'
import { targetKey } from '../routing/order-targets'
import type { PreparedTarget } from '../routing/prepared-target'

/** Fields that change how an answer is delivered or attributed, never what it says. */
const DELIVERY_FIELDS = new Set(['stream', 'stream_options', 'user'])

export type CacheKeys = {
  /** Hex SHA-256 of the whole request: the Redis key suffix and the vector id. */
  exact: string
  /** Absent when the request cannot be looked up by meaning (no trailing user text). */
  semantic?: { text: string; partition: string }
}

export async function cacheKeys(
  tenantId: string,
  targets: PreparedTarget[],
  body: ChatRequest,
  embedTurns: number
): Promise<CacheKeys> {
  // Sorted, so the weighted shuffle of this request does not split one answer into many keys;
  // the base URL, so a tenant that changes where a provider points does not read old answers.
  const served = targets.map((t) => `${targetKey(t)} ${t.credentials.baseUrl}`).sort()
  const params = outputParams(body)
  const exact = await sha256Hex(canonicalJson({ tenantId, served, params }))
  const embedded = body.messages.slice(-embedTurns)
  const text = embeddedText(embedded)
  if (text === undefined || body.messages.at(-1)?.role !== 'user') return { exact }
  const context = { ...params, messages: body.messages.slice(0, -embedded.length) }
  const partition = await sha256Hex(canonicalJson({ served, context }))
  return { exact, semantic: { text, partition } }
}

function outputParams(body: ChatRequest): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(body)) {
    // `null` means "the default" in the OpenAI API, the same as leaving the field out.
    if (!DELIVERY_FIELDS.has(name) && value !== null && value !== undefined) params[name] = value
  }
  return params
}

/**
 * The last turns as text, one `role: content` line each, or the bare content of a lone user
 * message. Undefined when a turn carries something text cannot stand for (images, audio, files)
 * or is a system prompt, which belongs to the partition.
 */
function embeddedText(messages: ChatMessage[]): string | undefined {
  const lines: string[] = []
  for (const message of messages) {
    const text = messageText(message)
    if (text === undefined || message.role === 'system' || message.role === 'developer') {
      return undefined
    }
    lines.push(messages.length === 1 ? text : `${message.role}: ${text}`)
  }
  const joined = lines.join('\n').trim()
  return joined === '' ? undefined : joined
}

function messageText(message: ChatMessage): string | undefined {
  if (message.role === 'assistant' && message.tool_calls?.length) return undefined
  const content = message.content
  if (content === null || content === undefined) return undefined
  if (typeof content === 'string') return content
  const parts = content.map((part) => (part.type === 'text' ? part.text : undefined))
  return parts.every((part) => part !== undefined) ? parts.join('\n') : undefined
}

/**
 * JSON with object keys sorted at every depth: equal requests hash equally whatever their order.
 * Iterative, with its own stack, so no nesting depth can overflow the call stack and fail the
 * request the cache was only meant to speed up. Otherwise as `JSON.stringify`: `undefined`
 * members are dropped, and become `null` in arrays.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = []
  // Either a value still to write, or literal punctuation queued behind its members.
  const work: Array<{ value: unknown } | string> = [{ value }]
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if (typeof item === 'string') {
      out.push(item)
      continue
    }
    const current = item.value
    if (Array.isArray(current)) {
      work.push(']')
      for (let i = current.length - 1; i >= 0; i--) {
        const member: unknown = current[i]
        work.push({ value: member === undefined ? null : member })
        if (i > 0) work.push(',')
      }
      work.push('[')
    } else if (isRecord(current)) {
      const members = Object.entries(current)
        .filter(([, member]) => member !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      work.push('}')
      members.reverse().forEach(([key, member], i) => {
        work.push({ value: member })
        work.push(`${JSON.stringify(key)}:`)
        if (i < members.length - 1) work.push(',')
      })
      work.push('{')
    } else {
      out.push(JSON.stringify(current) ?? 'null')
    }
  }
  return out.join('')
}
