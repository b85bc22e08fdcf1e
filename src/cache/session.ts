/**
 * @module
 * The cache as the chat pipeline sees it: `openCache` runs between admission and dispatch, looks
 * up the exact entry and (when enabled) a similar one in parallel, and either answers from the
 * cache or hands back a session that stores the fresh answer after the response, through
 * waitUntil. Redis or Vector trouble never fails a request: it is served uncached and marked.
 */
import type { Context } from 'hono'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import type { AppEnv } from '../env'
import type { PreparedTarget } from '../gateway/dispatch'
import type { RelayOutcome } from '../gateway/sse-relay'
import { logFailure } from '../lib/log'
import { SSE_HEADERS } from '../lib/sse'
import { DEGRADED_HEADER } from '../limits/headers'
import type { ChatRequest } from '../openai/chat-request'
import { openAIUsage } from '../providers/usage'
import { getRedis } from '../stores/redis'
import { getVectorIndex } from '../stores/vector'
import type { CacheStatus, MeteredUsage } from '../tenancy/types'
import { type CacheControls, cacheControls } from './controls'
import { type CacheEntry, readEntry, writeEntry } from './exact-store'
import { type CacheKeys, cacheKeys } from './keys'
import { replayedCompletion, replayStream, savedTokens } from './replay'
import { findSimilar, forgetSimilar, saveSimilar } from './semantic-store'
import { resolveCacheSettings } from './settings'

/** A lookup slower than this is abandoned: the upstream is asked instead. */
export const CACHE_LOOKUP_TIMEOUT_MS = 1500

export type CacheHit = {
  response: Response
  /** What to meter, less the endpoint: nothing billed, the original total saved. */
  usage: Omit<MeteredUsage, 'endpoint'>
}

export type CacheSession = {
  /** Undefined when the tenant has no cache: nothing is said about it. */
  status: CacheStatus | undefined
  hit?: CacheHit
  /** Stores a non-streamed answer if it qualifies. */
  store(completion: ChatCompletion, model: string): void
  /** Stores a streamed answer if the stream finished and the answer qualifies. */
  storeStream(outcome: RelayOutcome, model: string): void
}

const NO_CACHE: CacheSession = { status: undefined, store() {}, storeStream() {} }

type Found = { entry: CacheEntry; status: 'HIT' | 'SEMANTIC-HIT'; similarity?: number }

export async function openCache(
  c: Context<AppEnv>,
  body: ChatRequest,
  targets: PreparedTarget[]
): Promise<CacheSession> {
  const settings = resolveCacheSettings(c.var.tenant.config.cache)
  if (!settings.enabled) return NO_CACHE
  const controls = cacheControls(c.req.raw.headers, settings)
  const cacheable =
    controls.store &&
    (body.temperature ?? 1) <= settings.maxTemperature &&
    ((body.n ?? 1) === 1 || settings.cacheMultipleChoices)
  if (!cacheable) return announce(c, { ...NO_CACHE, status: 'BYPASS' })

  const semantic = settings.semantic.enabled && c.var.config.vector !== undefined
  const keys = await cacheKeys(c.var.tenant.id, targets, body, settings.semantic.embedTurns)
  let found: Found | undefined
  if (controls.lookup) {
    try {
      found = await lookup(c, keys, semantic, controls.threshold)
    } catch (error) {
      logFailure(c, 'cache lookup')(error)
      c.header(DEGRADED_HEADER, 'cache', { append: true })
      return announce(c, { ...NO_CACHE, status: 'BYPASS' })
    }
  }
  if (found) return { ...NO_CACHE, status: found.status, hit: serve(c, body, found) }

  const save = (completion: ChatCompletion, model: string) => {
    if (!qualifies(completion, settings.cacheToolCalls)) return
    const entry: CacheEntry = { completion, model, storedAt: Date.now() }
    c.executionCtx.waitUntil(
      write(c, keys, entry, controls, semantic).catch(logFailure(c, 'cache write'))
    )
  }
  return announce(c, {
    status: controls.lookup ? 'MISS' : 'REFRESH',
    store: save,
    storeStream(outcome, model) {
      if (outcome.status !== 'finished' || !outcome.answer.isComplete()) return
      save({ ...outcome.answer.toCompletion(), usage: openAIUsage(outcome.usage) }, model)
    },
  })
}

function announce(c: Context<AppEnv>, session: CacheSession): CacheSession {
  if (session.status) c.header('x-cache', session.status)
  return session
}

/**
 * Exact and semantic at once. The exact answer wins and is served as soon as Redis has it; the
 * similar one is the fallback. Either failing (or passing the deadline) before an answer is
 * found marks the request degraded.
 */
async function lookup(
  c: Context<AppEnv>,
  keys: CacheKeys,
  semantic: boolean,
  threshold: number
): Promise<Found | undefined> {
  const exact = withDeadline(readEntry(getRedis(c.var.config), c.var.tenant.id, keys.exact))
  const similar = withDeadline(
    semantic && keys.semantic ? lookupSimilar(c, keys.semantic, threshold) : undefined
  )
  // Handled here so an exact hit can return without waiting on (or leaking) the semantic side.
  similar.catch(() => {})
  const entry = await exact
  return entry ? { entry, status: 'HIT' } : await similar
}

async function lookupSimilar(
  c: Context<AppEnv>,
  { text, partition }: NonNullable<CacheKeys['semantic']>,
  threshold: number
): Promise<Found | undefined> {
  const { config, tenant } = c.var
  if (!config.vector) return undefined
  const index = getVectorIndex(config.vector)
  const match = await findSimilar(index, tenant.id, text, partition)
  if (!match || match.score < threshold) return undefined
  const entry = await readEntry(getRedis(config), tenant.id, match.hash)
  if (entry) return { entry, status: 'SEMANTIC-HIT', similarity: match.score }
  // The answer expired: the vector pointing at it goes too, rather than match again.
  c.executionCtx.waitUntil(
    forgetSimilar(index, tenant.id, match.hash).catch(logFailure(c, 'cache cleanup'))
  )
  return undefined
}

function serve(c: Context<AppEnv>, body: ChatRequest, found: Found): CacheHit {
  const { entry } = found
  // Headers first: the response below is built from them.
  c.header('x-cache', found.status)
  c.header('age', String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))))
  if (found.similarity !== undefined) c.header('x-cache-similarity', found.similarity.toFixed(4))
  const completion = replayedCompletion(entry.completion)
  const response = body.stream
    ? c.body(
        replayStream(completion, body.stream_options?.include_usage === true),
        200,
        SSE_HEADERS
      )
    : c.json(completion, 200)
  return {
    response,
    usage: {
      model: entry.model,
      promptTokens: 0,
      completionTokens: 0,
      cachedTokens: 0,
      estimated: false,
      cache: found.status,
      savedTokens: savedTokens(entry.completion),
    },
  }
}

/**
 * Only whole, ordinary answers are kept: every choice finished, none filtered or refused, none
 * empty, and tool calls only where the tenant allows them.
 */
function qualifies(completion: ChatCompletion, toolCalls: boolean): boolean {
  return (
    completion.choices.length > 0 &&
    completion.choices.every((choice) => {
      const { message, finish_reason: finish } = choice
      const called = (message.tool_calls?.length ?? 0) > 0
      return (
        finish !== 'content_filter' &&
        !message.refusal &&
        (toolCalls || !called) &&
        (called || (message.content ?? '') !== '')
      )
    })
  )
}

async function write(
  c: Context<AppEnv>,
  keys: CacheKeys,
  entry: CacheEntry,
  controls: CacheControls,
  semantic: boolean
): Promise<void> {
  const { config, tenant } = c.var
  const writes = [writeEntry(getRedis(config), tenant.id, keys.exact, entry, controls.ttlSeconds)]
  if (semantic && keys.semantic && config.vector) {
    const { text, partition } = keys.semantic
    writes.push(saveSimilar(getVectorIndex(config.vector), tenant.id, keys.exact, text, partition))
  }
  await Promise.all(writes)
}

async function withDeadline<T>(work: Promise<T> | T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Cache lookup timed out')), CACHE_LOOKUP_TIMEOUT_MS)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}
