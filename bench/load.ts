/**
 * One bounded load run with autocannon against a URL, with every request body unique (a counter
 * in the prompt) so no cache can answer. Latencies are collected per response from autocannon's
 * hrtime-based timings, so percentiles keep sub-millisecond resolution.
 */
import autocannon from 'autocannon'

export type LoadSpec = {
  url: string
  connections: number
  /** Seconds; ignored when `amount` is set. */
  durationSeconds?: number
  amount?: number
  /** Requests per second across all connections (a fixed offered rate). */
  overallRate?: number
  headers: Record<string, string>
  body: (sequence: number) => string
  /** Per-request headers on top of `headers` (a different API key each request, say). */
  headersFor?: (sequence: number) => Record<string, string>
}

export type LoadResult = {
  /** Milliseconds, one per answered request, in completion order. */
  latencies: number[]
  statuses: Record<string, number>
  /** Connection errors and timeouts (no HTTP status at all). */
  errors: number
  seconds: number
  /** Answered requests per second. */
  throughput: number
}

let sequence = 0

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const started = performance.now()
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    // autocannon rejects a present-but-undefined duration, so only set options that apply.
    ...(spec.amount === undefined ? { duration: spec.durationSeconds } : { amount: spec.amount }),
    ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    requests: [
      {
        setupRequest: (request) => {
          sequence += 1
          const extra = spec.headersFor?.(sequence)
          return {
            ...request,
            body: spec.body(sequence),
            ...(extra ? { headers: { ...request.headers, ...extra } } : {}),
          }
        },
      },
    ],
  })
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    latencies.push(ms)
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
  })
  const result = await instance
  const seconds = (performance.now() - started) / 1000
  return {
    latencies,
    statuses,
    errors: result.errors,
    seconds,
    throughput: latencies.length / seconds,
  }
}

/** Requests answered with a status outside 2xx, or not answered at all. */
export function failures(result: LoadResult): number {
  const non2xx = Object.entries(result.statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0)
  return non2xx + result.errors
}
