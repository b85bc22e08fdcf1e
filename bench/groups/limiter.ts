/** Limiter exactness under a burst, and a sustained fixed-rate run below the limit. */
import { burst, sustained } from '../limiter.ts'
import type { Row } from '../report.ts'
import { gatewayTarget } from '../setup.ts'
import { createTenantKey } from '../tenants.ts'
import { judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, MIB, NON_STREAMING_MODEL } from './group.ts'

export const limiterGroup: Group = {
  name: 'limiter',
  async run({ bench, plan, log }: Context) {
    const tenant = async (name: string, limits: Record<string, number>, model: string) =>
      gatewayTarget(
        bench,
        name,
        await createTenantKey(bench.gateway.url, bench.adminToken, name, { limits }),
        model
      )
    log(`limiter: ${plan.burst} concurrent requests against limits of ${plan.burstLimit}`)
    const perMinute = await burst(
      await tenant('burst-rpm', { requests_per_minute: plan.burstLimit }, NON_STREAMING_MODEL),
      plan.burst
    )
    const concurrent = await burst(
      await tenant('burst-concurrent', { max_concurrent: plan.burstLimit }, 'mock/m:ttft=300'),
      plan.burst
    )
    const steadyLimit = plan.sustainRate * 60 * 2
    log(`limiter: ${plan.sustainSeconds} s at ${plan.sustainRate} req/s (limit ${steadyLimit}/min)`)
    const steady = await sustained(
      await tenant('sustained', { requests_per_minute: steadyLimit }, NON_STREAMING_MODEL),
      plan.sustainRate,
      plan.sustainSeconds,
      bench.gateway.pid
    )
    const mib = (bytes: number | undefined) =>
      bytes === undefined ? 'n/a' : `${(bytes / MIB).toFixed(1)} MiB`
    const growth =
      steady.rssStartBytes !== undefined && steady.rssEndBytes !== undefined
        ? ((steady.rssEndBytes - steady.rssStartBytes) / steady.rssStartBytes) * 100
        : Number.NaN
    const burstRow = (label: string, result: typeof perMinute): Row => ({
      figure: `Limiter: ${plan.burst} concurrent requests, ${label} limit ${plan.burstLimit}`,
      value: `${result.admitted} admitted, ${result.refused} refused (429), ${result.other} other`,
      // Any status but 200 and 429 is a failure the admitted count alone would hide.
      ...judge(
        THRESHOLDS.limiterExcess,
        result.other === 0 ? result.admitted - plan.burstLimit : Number.NaN
      ),
    })
    return {
      title: 'Limiter',
      rows: [
        burstRow('requests-per-minute', perMinute),
        burstRow('concurrency', concurrent),
        {
          figure: `Limiter: sustained ${steady.seconds} s at ${steady.rate} req/s (limit ${steadyLimit}/min)`,
          value: `${steady.answered} answered, ${steady.failures} errors or refusals (${Object.entries(
            steady.statuses
          )
            .map(([status, count]) => `${status}: ${count}`)
            .join(', ')})`,
          ...judge(THRESHOLDS.sustainedErrors, steady.answered > 0 ? steady.failures : Number.NaN),
        },
        {
          figure: 'Limiter: workerd RSS during the sustained run (start / end / max)',
          value: `${mib(steady.rssStartBytes)} / ${mib(steady.rssEndBytes)} / ${mib(steady.rssMaxBytes)} (${growth.toFixed(1)} %)`,
          ...judge(THRESHOLDS.rssGrowth, growth),
        },
      ],
      method: [
        `A burst of ${plan.burst} concurrent requests (one connection each) against a tenant limit of ${plan.burstLimit} requests per minute and, separately, of ${plan.burstLimit} concurrent requests (upstream held 300 ms); then ${plan.sustainSeconds} s at a fixed offered rate below the tenant’s limit, with the gateway’s workerd RSS read from /proc every second.`,
        'Exactness figures are deterministic (counts, not times): stable on any machine.',
      ],
      sections: [],
    }
  },
}
