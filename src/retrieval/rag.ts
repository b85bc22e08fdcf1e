/**
 * @module
 * Retrieval-augmented chat. Retrieves for the last user turn, fits the best chunks to a token
 * budget, and adds a system message with numbered sources and instructions to answer only from
 * them and cite them as [n]. The augmented messages are what the cache keys, the limits count and
 * the upstream sees. Citations go back in the response body (`citations`) or, when streaming, in
 * a final `citations` event before [DONE].
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { GatewayConfig } from '../config'
import { GatewayError } from '../errors'
import { contentText, estimateTokens } from '../lib/tokens'
import type { ChatMessage, ChatRequest } from '../openai/chat-request'
import type { TenantContext } from '../tenancy/types'
import { requireCollection, vectorIndexOf } from './collections'
import { type SearchHit, searchCollection } from './search'
import { DEFAULT_CONTEXT_TOKENS } from './settings'

export const DEFAULT_TOP_K = 5

export type Citation = {
  index: number
  document_id: string
  chunk: number
  title: string | null
  url: string | null
  score: number
  /** The answer refers to this source as [index]. */
  cited: boolean
}

export type Retrieval = {
  messages: ChatMessage[]
  sources: SearchHit[]
}

/** `undefined` when neither the request nor the tenant's settings ask for retrieval. */
export async function retrieveForChat(
  { config, redis, tenant }: { config: GatewayConfig; redis: Redis; tenant: TenantContext },
  body: ChatRequest
): Promise<Retrieval | undefined> {
  const settings = tenant.config.retrieval ?? {}
  // The request's own options replace the tenant default; its filter belongs to its collection.
  const requested =
    body.retrieval ??
    (settings.collection ? { ...settings, collection: settings.collection } : undefined)
  if (!requested) return undefined
  const query = lastUserText(body.messages)
  if (query === '') {
    throw new GatewayError(400, 'Retrieval needs a user message with text to search for.', {
      param: 'messages',
      code: 'invalid_request',
    })
  }
  const index = vectorIndexOf(config)
  const ref = await requireCollection(
    redis,
    tenant.id,
    requested.collection,
    'retrieval.collection'
  )
  const hits = await searchCollection(index, ref, {
    query,
    topK: requested.top_k ?? settings.top_k ?? DEFAULT_TOP_K,
    filter: requested.filter,
    includeText: true,
    filterParam: 'retrieval.filter',
  })
  const sources = fitToBudget(hits, settings.max_context_tokens ?? DEFAULT_CONTEXT_TOKENS)
  return { messages: withSourcesMessage(body.messages, sources), sources }
}

function lastUserText(messages: ChatMessage[]): string {
  const last = messages.findLast((message) => message.role === 'user')
  return last ? contentText(last.content).trim() : ''
}

/** Best first; a source that would overflow the budget is skipped for a smaller one after it. */
function fitToBudget(hits: SearchHit[], budget: number): SearchHit[] {
  let used = 0
  return hits.filter((hit) => {
    const cost = estimateTokens(sourceText(hit, 0))
    if (used + cost > budget) return false
    used += cost
    return true
  })
}

function sourceText(hit: SearchHit, number: number): string {
  const label = [hit.title, hit.url && `(${hit.url})`].filter(Boolean).join(' ')
  return `[${number}] ${label || hit.document_id}\n${hit.text ?? ''}`
}

const INSTRUCTIONS =
  'Answer the question using only the numbered sources below. Cite every source you use by its number in square brackets, like [1] or [2][3]. If the sources do not contain the answer, say that you do not know; do not use outside knowledge.'

const NO_SOURCES =
  'No documents matched the question. Say that the available documents do not cover it; do not answer from outside knowledge.'

/** After the caller's own leading system messages, so their persona comes first. */
function withSourcesMessage(messages: ChatMessage[], sources: SearchHit[]): ChatMessage[] {
  const content =
    sources.length === 0
      ? NO_SOURCES
      : `${INSTRUCTIONS}\n\nSources:\n\n${sources.map((hit, i) => sourceText(hit, i + 1)).join('\n\n')}`
  const at = messages.findIndex(
    (message) => message.role !== 'system' && message.role !== 'developer'
  )
  const position = at === -1 ? messages.length : at
  return [...messages.slice(0, position), { role: 'system', content }, ...messages.slice(position)]
}

export function citations(sources: SearchHit[], answer: string): Citation[] {
  const cited = new Set(Array.from(answer.matchAll(/\[(\d+)\]/g), (match) => Number(match[1])))
  return sources.map((hit, i) => ({
    index: i + 1,
    document_id: hit.document_id,
    chunk: hit.chunk_index,
    title: hit.title ?? null,
    url: hit.url ?? null,
    score: hit.score,
    cited: cited.has(i + 1),
  }))
}
