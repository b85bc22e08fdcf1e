/**
 * @module
 * One `@upstash/vector` client per isolate and credential pair, shared by the semantic cache and
 * retrieval. Every call is bounded by a timeout, so a slow index fails a request instead of
 * hanging it.
 */
import { Index } from '@upstash/vector/cloudflare'
import type { UpstashCredentials } from '../config'
import { attributeFailure } from './dependency'

/** Upper bound for one Vector call, retries included: embedding a batch takes a while. */
export const VECTOR_TIMEOUT_MS = 10_000

const indexes = new Map<string, Index>()

/**
 * The index with its failures attributed to Vector. The client has no middleware hook like
 * Redis's `use`; its requester is the one place every call (namespaces included) goes through.
 */
class AttributedIndex extends Index {
  constructor(config: ConstructorParameters<typeof Index>[0]) {
    super(config)
    const send = this.client.request.bind(this.client)
    this.client.request = async (request) => {
      try {
        return await send(request)
      } catch (error) {
        throw attributeFailure(error, 'vector')
      }
    }
  }
}

export function getVectorIndex(credentials: UpstashCredentials): Index {
  const cacheKey = `${credentials.url} ${credentials.token}`
  let index = indexes.get(cacheKey)
  if (!index) {
    index = new AttributedIndex({
      url: credentials.url,
      token: credentials.token,
      // A function, so each call gets a fresh deadline.
      signal: () => AbortSignal.timeout(VECTOR_TIMEOUT_MS),
      // One quick retry covers a dropped keep-alive connection.
      retry: { retries: 1, backoff: () => 50 },
      enableTelemetry: false,
    })
    indexes.set(cacheKey, index)
  }
  return index
}
