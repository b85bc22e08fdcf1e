/**
 * End-to-end latency of cache hits against misses, one request at a time and interleaved (a
 * miss, an exact hit, a semantic hit, repeated), each classified by the gateway's `x-cache`
 * header. A semantic hit asks the primed question reworded in case and punctuation, so the exact
 * key differs while the embedded meaning does not.
 */
import type { Target } from './overhead.ts'
import { ascending, percentile } from './stats.ts'

export type CacheFigures = {
  missP50: number
  exactP50: number
  semanticP50: number
  /** The reference target (the trivial Worker), timed the same way in the same loop. */
  referenceP50: number
  /** How each kind of request was actually answered, by `x-cache` value. */
  outcomes: Record<'miss' | 'exact' | 'semantic', Record<string, number>>
}

/** Lets the cache write (waitUntil) land before the hit is asked for. */
const SETTLE_MS = 20

export async function cacheHits(
  target: Target,
  reference: Target,
  samples: number
): Promise<CacheFigures> {
  const times = { miss: [] as number[], exact: [] as number[], semantic: [] as number[] }
  const referenceTimes: number[] = []
  const outcomes: CacheFigures['outcomes'] = { miss: {}, exact: {}, semantic: {} }
  const ask = async (kind: keyof typeof times, question: string, expected: string) => {
    const { ms, status } = await timedChat(target, question)
    outcomes[kind][status] = (outcomes[kind][status] ?? 0) + 1
    if (status === expected) times[kind].push(ms)
  }
  const run = Date.now()
  for (let i = 0; i < samples; i += 1) {
    const question = `Cache benchmark ${run} question ${i}: what colour is the sky?`
    await ask('miss', question, 'MISS')
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
    await ask('exact', question, 'HIT')
    await ask('semantic', question.toUpperCase().replace('?', '!'), 'SEMANTIC-HIT')
    referenceTimes.push((await timedChat(reference, question)).ms)
  }
  const p50 = (values: number[]) => percentile(ascending(values), 0.5)
  return {
    missP50: p50(times.miss),
    exactP50: p50(times.exact),
    semanticP50: p50(times.semantic),
    referenceP50: p50(referenceTimes),
    outcomes,
  }
}

/** One request, timed to the end of its body (read, so the connection is reusable). */
export async function timedFetch(
  target: Pick<Target, 'url' | 'headers'>,
  body: string
): Promise<{ ms: number; headersAt: number; response: Response; text: string }> {
  const started = performance.now()
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
  })
  const headersAt = performance.now()
  const text = await response.text()
  return { ms: performance.now() - started, headersAt, response, text }
}

async function timedChat(
  target: Target,
  question: string
): Promise<{ ms: number; status: string }> {
  const { ms, response } = await timedFetch(
    target,
    JSON.stringify({ model: target.model, messages: [{ role: 'user', content: question }] })
  )
  return {
    ms,
    status: response.ok ? (response.headers.get('x-cache') ?? 'none') : `HTTP ${response.status}`,
  }
}
