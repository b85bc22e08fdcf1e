import { headerValue } from '../lib/header-value'
import type { Dispatched } from './dispatch'

/**
 * The headers that say who answered and what the gateway cost. Inside a Worker the clock only
 * moves across I/O, so the overhead figure counts the gateway's own waits (Redis, Vector) rather
 * than its CPU time; the benchmarks measure the full overhead from outside.
 */
export function servedByHeaders(
  dispatched: Pick<Dispatched<unknown>, 'target' | 'attempts' | 'upstreamMs'>,
  startedAt: number
): Record<string, string> {
  const totalMs = performance.now() - startedAt
  const overheadMs = Math.max(0, totalMs - dispatched.upstreamMs)
  return {
    // Catalog targets come from operator JSON, direct ones from the request: neither is trusted.
    'x-gateway-target': headerValue(`${dispatched.target.provider}/${dispatched.target.model}`),
    'x-gateway-attempts': String(dispatched.attempts),
    'x-gateway-overhead-ms': overheadMs.toFixed(1),
    'server-timing': `gateway;dur=${overheadMs.toFixed(1)}, upstream;dur=${dispatched.upstreamMs.toFixed(1)}`,
  }
}
