/**
 * @module
 * Responses and conversations in Redis, under the tenant's prefix (`gw:t:<tenantId>:`), so a
 * tenant's erasure sweeps them with everything else it owns.
 *
 * - `resp:<id>`: one stored response with its **full** history, so continuing from it is one
 *   read and nothing is cut silently; expires after the tenant's retention.
 * - `resp:<id>:summary`: the running summary of that history, written in the background.
 * - `conv:<id>`, `conv:<id>:items` (a list), `conv:<id>:summary`: kept until deleted.
 * - `subject:<subject>`: the responses and conversations of one end user (or key), for export
 *   and erasure per end user.
 *
 * Every read is issued in one tick, so `@upstash/redis` auto-pipelining sends one request.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { tenantPrefix } from '../../upstash/keyspace'
import type { Item } from './items'
import type { ResponseObject } from './response-object'

/** Who created a resource: the key, and the end user it named (`user` / `safety_identifier`). */
export type Owner = { keyId: string; user?: string }

/** Older turns folded into text: `covers` leading history items are represented by it. */
export type Summary = { text: string; covers: number }

export type StoredResponse = {
  response: ResponseObject
  owner: Owner
  /** The whole context after this turn (without instructions, which are not carried forward). */
  history: Item[]
  /** Where this turn's input items sit in `history`. */
  input: [start: number, end: number]
  summary?: Summary
}

export type StoredConversation = {
  id: string
  object: 'conversation'
  created_at: number
  metadata: Record<string, string>
  owner: Owner
}

export const responseKey = (tenantId: string, id: string) => `${tenantPrefix(tenantId)}resp:${id}`
export const summaryKey = (base: string) => `${base}:summary`
export const conversationKey = (tenantId: string, id: string) =>
  `${tenantPrefix(tenantId)}conv:${id}`
export const itemsKey = (conversation: string) => `${conversation}:items`
export const subjectKey = (tenantId: string, subject: string) =>
  `${tenantPrefix(tenantId)}subject:${subject}`
export const erasureAuditKey = (tenantId: string) => `${tenantPrefix(tenantId)}audit:erasures`

/** The key, and the end user a request names (`safety_identifier` before the older `user`). */
export function ownerOf(
  keyId: string,
  request: { safety_identifier?: string | undefined; user?: string | undefined }
): Owner {
  const user = request.safety_identifier ?? request.user
  return user === undefined ? { keyId } : { keyId, user }
}

/** The end user a resource belongs to, or the key when it named none. */
export function subjectOf(owner: Owner): string {
  return owner.user !== undefined ? `user:${owner.user}` : `key:${owner.keyId}`
}

/**
 * Reads are scoped to the key that created the resource; continuing a response also needs the
 * same end user, so one end user behind a shared key cannot pick up another's history.
 */
export function readableBy(owner: Owner, caller: Owner, continuing: boolean): boolean {
  if (owner.keyId !== caller.keyId) return false
  return !continuing || owner.user === caller.user
}

export type LoadedResponse = { stored: StoredResponse; summary: Summary | undefined }

export async function loadResponse(
  redis: Redis,
  tenantId: string,
  id: string
): Promise<LoadedResponse | undefined> {
  const key = responseKey(tenantId, id)
  const [stored, summary] = await Promise.all([
    redis.get<StoredResponse>(key),
    redis.get<Summary>(summaryKey(key)),
  ])
  if (!stored) return undefined
  return { stored, summary: newer(stored.summary, summary ?? undefined) }
}

export type LoadedConversation = {
  conversation: StoredConversation
  items: Item[]
  summary: Summary | undefined
}

export async function loadConversation(
  redis: Redis,
  tenantId: string,
  id: string,
  withItems: boolean
): Promise<LoadedConversation | undefined> {
  const key = conversationKey(tenantId, id)
  const [conversation, items, summary] = await Promise.all([
    redis.get<StoredConversation>(key),
    withItems ? redis.lrange<Item>(itemsKey(key), 0, -1) : Promise.resolve([]),
    withItems ? redis.get<Summary>(summaryKey(key)) : Promise.resolve(null),
  ])
  if (!conversation) return undefined
  return { conversation, items, summary: summary ?? undefined }
}

/** The summary covering more of the history wins: background summaries only ever grow. */
export function newer(a: Summary | undefined, b: Summary | undefined): Summary | undefined {
  if (!a) return b
  if (!b) return a
  return b.covers > a.covers ? b : a
}

/** The writes that store a finished turn, issued together (one pipelined burst in the batch). */
export function storeTurn(
  redis: Redis,
  tenantId: string,
  turn: {
    response?: StoredResponse
    retentionSeconds: number
    conversation?: { id: string; items: Item[]; owner: Owner }
  }
): Promise<unknown> {
  const writes: Promise<unknown>[] = []
  if (turn.response) {
    const id = turn.response.response.id
    writes.push(
      redis.set(responseKey(tenantId, id), JSON.stringify(turn.response), {
        ex: turn.retentionSeconds,
      }),
      redis.sadd(subjectKey(tenantId, subjectOf(turn.response.owner)), `resp:${id}`)
    )
  }
  if (turn.conversation && turn.conversation.items.length > 0) {
    const key = conversationKey(tenantId, turn.conversation.id)
    writes.push(
      redis.rpush(itemsKey(key), ...turn.conversation.items.map((item) => JSON.stringify(item))),
      redis.sadd(
        subjectKey(tenantId, subjectOf(turn.conversation.owner)),
        `conv:${turn.conversation.id}`
      )
    )
  }
  return Promise.all(writes)
}
