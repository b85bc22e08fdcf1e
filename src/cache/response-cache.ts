/**
 * @module
 * The cache as the chat pipeline sees it. `open` works out what the request asks of the cache
 * and answers at once from the isolate's own copy when it holds one. Otherwise `lookup` starts
 * the exact read (in the caller's tick, so it shares admission's round trip); only when that
 * misses, and the tenant has a semantic cache, does the similarity query go out, and the
 * pipeline waits on it only for the tenant's lookup budget. Redis or Vector trouble never fails a request: it is served uncached and marked.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { Index } from '@upstash/vector/cloudflare'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import type { ChatRequest } from '../openai/chat-request'
import type { PreparedTarget } from '../routing/prepared-target'
import type { WriteBatch } from '../upstash/write-batch'
import { cacheControls } from './controls'
import { type CacheEntry, fetchEntry, heldEntry, writeEntry } from './exact-store'
import { type CacheKeys, cacheKeys } from './keys'
import { findSimilar, forgetSimilar, saveSimilar } from './semantic-store'
import { type CacheSettingsInput, resolveCacheSettings } from './settings'
import type { CacheStatus } from './status'

export type Found = { entry: CacheEntry; status: 'HIT' | 'SEMANTIC-HIT'; similarity?: number }

export type CacheDeps = {
  redis: Redis
  vector: Index | undefined
  writes: WriteBatch
  clock: () => number
  report(what: string, error: unknown): void
}

export type CacheRequest = {
  tenantId: string
  settings: CacheSettingsInput | undefined
  body: ChatRequest
  targets: PreparedTarget[]
  headers: Headers
}

export type WaitUntil = (work: Promise<unknown>) => void

export type Lookup = {
  exact: Promise<Found | undefined>
  /**
   * Sends the similarity query (once) and settles by the lookup budget: a match that comes
   * later is not waited for.
   */
  similar(): Promise<Found | undefined>
  /** A match above the threshold arrived after the budget (known once it has arrived). */
  late(): boolean
}

export type CacheTicket = {
  /** Undefined when the tenant has no cache: nothing is said about it. */
  status: Extract<CacheStatus, 'MISS' | 'REFRESH' | 'BYPASS'> | undefined
  /** The isolate's own live copy of the exact answer. */
  held: Found | undefined
  /** What went wrong with the cache on the way (`x-gateway-degraded`). */
  degraded: string[]
  /** Starts the lookups; call it in the same tick as admission. */
  lookup(waitUntil: WaitUntil): Lookup
  /** Stores a fresh answer if it qualifies, after the response. */
  store(completion: ChatCompletion, model: string, waitUntil: WaitUntil): void
}

export type ResponseCache = { open(request: CacheRequest): Promise<CacheTicket> }

const NOTHING_FOUND: Lookup = {
  exact: Promise.resolve(undefined),
  similar: async () => undefined,
  late: () => false,
}

function inertTicket(status: CacheTicket['status'], degraded: string[] = []): CacheTicket {
  return { status, held: undefined, degraded, lookup: () => NOTHING_FOUND, store() {} }
}

export function createResponseCache(deps: CacheDeps): ResponseCache {
  const { redis, vector, writes, clock, report } = deps

  return {
    async open({ tenantId, settings: input, body, targets, headers }) {
      const settings = resolveCacheSettings(input)
      if (!settings.enabled) return inertTicket(undefined)
      const controls = cacheControls(headers, settings)
      const cacheable =
        controls.store &&
        (body.temperature ?? 1) <= settings.maxTemperature &&
        ((body.n ?? 1) === 1 || settings.cacheMultipleChoices)
      if (!cacheable) return inertTicket('BYPASS')

      const index = settings.semantic.enabled ? vector : undefined
      let keys: CacheKeys
      try {
        keys = await cacheKeys(tenantId, targets, body, settings.semantic.embedTurns)
      } catch (error) {
        // A request too odd to key (see cacheKeys) is answered uncached, never refused here.
        report('cache key', error)
        return inertTicket('BYPASS', ['cache'])
      }
      const heldCopy = controls.lookup ? heldEntry(tenantId, keys.exact, clock()) : undefined
      const degraded: string[] = []

      /** Resolves with the match, or undefined once the budget (started now) has passed. */
      const withinBudget = (query: Promise<Found | undefined>, late: { seen: boolean }) => {
        let inTime = true
        const budget = new Promise<undefined>((resolve) =>
          setTimeout(() => {
            inTime = false
            resolve(undefined)
          }, settings.semantic.lookupBudgetMs)
        )
        const watched = query.then((match) => {
          if (match && !inTime) late.seen = true
          return match
        })
        return Promise.race([watched, budget])
      }

      const lookupSimilar = async (
        semanticKeys: NonNullable<CacheKeys['semantic']>,
        semanticIndex: Index,
        waitUntil: WaitUntil
      ): Promise<Found | undefined> => {
        const match = await findSimilar(
          semanticIndex,
          tenantId,
          semanticKeys.text,
          semanticKeys.partition
        )
        if (!match || match.score < controls.threshold) return undefined
        const now = clock()
        const entry =
          heldEntry(tenantId, match.hash, now) ??
          (await fetchEntry(redis, tenantId, match.hash, now))
        if (entry) return { entry, status: 'SEMANTIC-HIT', similarity: match.score }
        // The answer expired: the vector pointing at it goes too, rather than match again.
        waitUntil(
          forgetSimilar(semanticIndex, tenantId, match.hash).catch((e) =>
            report('cache cleanup', e)
          )
        )
        return undefined
      }

      return {
        status: controls.lookup ? 'MISS' : 'REFRESH',
        held: heldCopy ? { entry: heldCopy, status: 'HIT' } : undefined,
        degraded,
        lookup(waitUntil) {
          if (!controls.lookup) return NOTHING_FOUND
          const exact = fetchEntry(redis, tenantId, keys.exact, clock()).then(
            (entry): Found | undefined => (entry ? { entry, status: 'HIT' } : undefined),
            (error: unknown) => {
              report('cache lookup', error)
              degraded.push('cache')
              return undefined
            }
          )
          const late = { seen: false }
          const semanticKeys = keys.semantic
          let similar: Promise<Found | undefined> | undefined
          // Asked for only once the exact read has missed: an exact hit sends no Vector query.
          const findSimilar = () => {
            if (!index || !semanticKeys) return Promise.resolve(undefined)
            const query = lookupSimilar(semanticKeys, index, waitUntil).catch((error: unknown) => {
              report('semantic lookup', error)
              degraded.push('semantic-cache')
              return undefined
            })
            waitUntil(query)
            return withinBudget(query, late)
          }
          return {
            exact,
            similar: () => {
              similar ??= findSimilar()
              return similar
            },
            late: () => late.seen,
          }
        },
        store(completion, model, waitUntil) {
          if (!qualifies(completion, settings.cacheToolCalls)) return
          const entry: CacheEntry = { completion, model, storedAt: clock() }
          waitUntil(
            writes.write(
              'cache write',
              writeEntry(redis, tenantId, keys.exact, entry, controls.ttlSeconds)
            )
          )
          const semanticKeys = keys.semantic
          if (index && semanticKeys) {
            // The index embeds the text again: nothing waits on it here, after the response.
            waitUntil(
              saveSimilar(
                index,
                tenantId,
                keys.exact,
                semanticKeys.text,
                semanticKeys.partition
              ).catch((error) => report('semantic cache write', error))
            )
          }
        },
      }
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
