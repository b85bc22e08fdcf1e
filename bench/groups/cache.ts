/** Exact and semantic cache hits end to end, against a miss and against the trivial Worker. */
import { cacheHits } from '../cache-hits.ts'
import { gatewayTarget, referenceTargets } from '../setup.ts'
import { CACHE_ON, createTenantKey } from '../tenants.ts'
import { INFO, judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, ms, NON_STREAMING_MODEL } from './group.ts'

export const cacheGroup: Group = {
  name: 'cache',
  async run({ bench, plan, log }: Context) {
    log(`cache: ${plan.cacheSamples} misses, exact hits and semantic hits, interleaved`)
    const key = await createTenantKey(bench.gateway.url, bench.adminToken, 'cache', {
      cache: CACHE_ON,
    })
    const figures = await cacheHits(
      gatewayTarget(bench, 'gateway cache', key, NON_STREAMING_MODEL),
      referenceTargets(bench, NON_STREAMING_MODEL).trivial,
      plan.cacheSamples
    )
    const outcome = (counts: Record<string, number>) =>
      Object.entries(counts)
        .map(([status, count]) => `${status} ${count}`)
        .join(', ')
    const exactOverTrivial = figures.exactP50 - figures.referenceP50
    return {
      title: 'Cache hits',
      rows: [
        {
          figure: 'Cache: exact hit, end-to-end p50 minus the trivial Worker’s',
          value: `${ms(exactOverTrivial)} (hit ${ms(figures.exactP50)}, trivial Worker ${ms(figures.referenceP50)}, miss ${ms(figures.missP50)}; hit/miss ${(figures.exactP50 / figures.missP50).toFixed(2)})`,
          ...judge(THRESHOLDS.exactHitOverTrivialP50, exactOverTrivial),
        },
        {
          figure: 'Cache: semantic hit, end-to-end p50',
          value: `${ms(figures.semanticP50)} (hit/miss ${(figures.semanticP50 / figures.missP50).toFixed(2)})`,
          ...INFO,
        },
        {
          figure: 'Cache: how the requests were answered (x-cache)',
          value: `miss: ${outcome(figures.outcomes.miss)}; exact: ${outcome(figures.outcomes.exact)}; semantic: ${outcome(figures.outcomes.semantic)}`,
          ...INFO,
        },
      ],
      method: [
        `One request at a time, interleaved: a miss, the same question again (exact hit), the question reworded in case and punctuation (semantic hit), and the same request through the trivial Worker; ${plan.cacheSamples} of each, p50 of each kind, classified by the gateway’s \`x-cache\`. A tenant with the exact and semantic cache on and no limits; the stand-ins on loopback answer in well under a millisecond, so this is the local cost (the Upstash-latency group has the same hits over a simulated network).`,
        'The exact-hit target is against the runtime (trivial Worker + 0.3 ms), because workerd and Miniflare’s entry worker alone take more than the old absolute 2 ms here. Moderately stable: one request at a time, but each is a few ms of wall clock on a shared machine.',
      ],
      sections: [],
    }
  },
}
