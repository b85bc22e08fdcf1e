/**
 * The cost of each per-request feature (bench/features.ts): CPU per request of the gateway's
 * workerd and added p50 at one connection, each against the same request without the feature,
 * measured in the same interleaved rounds.
 */
import { type CpuSubject, cpuAdded, cpuMedian, cpuRuns } from '../cpu-runs.ts'
import { FEATURES, type FeatureRequests, TRIVIAL_BASELINE } from '../features.ts'
import type { Target } from '../overhead.ts'
import type { Row } from '../report.ts'
import type { RunningWorker } from '../runtime.ts'
import { gatewayTarget, referenceTargets } from '../setup.ts'
import { createTenant } from '../tenants.ts'
import { INFO } from '../thresholds.ts'
import { type Context, type Group, ms, NON_STREAMING_MODEL, signedMs } from './group.ts'

export const featuresGroup: Group = {
  name: 'features',
  async run({ bench, plan, log }: Context) {
    const requests = plan.featureRequests
    const warmUpRequests = Math.ceil(requests / 10)
    const total = warmUpRequests + requests * plan.cpuRounds
    log(`features: setting up ${FEATURES.length} tenants`)
    const targets: Target[] = []
    const ownGateways: RunningWorker[] = []
    for (const [index, feature] of FEATURES.entries()) {
      const worker = feature.gateway ? await bench.startGateway(feature.gateway) : bench.gateway
      if (feature.gateway) ownGateways.push(worker)
      const tenant = await createTenant(
        worker.url,
        bench.adminToken,
        `feature-${index}`,
        feature.config
      )
      const extra: FeatureRequests = feature.prepare
        ? await feature.prepare({
            gatewayUrl: worker.url,
            adminToken: bench.adminToken,
            tenantId: tenant.tenantId,
            apiKey: tenant.apiKey,
            requests: total,
          })
        : {}
      targets.push({
        ...gatewayTarget(bench, feature.name, tenant.apiKey, NON_STREAMING_MODEL, worker),
        ...extra,
      })
    }
    const trivial = {
      ...referenceTargets(bench, NON_STREAMING_MODEL).trivial,
      name: TRIVIAL_BASELINE,
    }
    // One connection: the added p50 is a single request's, not a queue's.
    const subjects: CpuSubject[] = [trivial, ...targets].map((target) => ({
      target,
      requests,
      connections: 1,
    }))
    log(`features: ${plan.cpuRounds} rounds x ${subjects.length} targets x ${requests} requests`)
    const results = await cpuRuns(bench, {
      subjects,
      rounds: plan.cpuRounds,
      idleMs: plan.idleMs,
      warmUpRequests,
      onRun: (name, round) => log(`  ${name}: ${ms(round.servingMs)} CPU, p50 ${ms(round.p50)}`),
    }).finally(() => Promise.all(ownGateways.map((worker) => worker.close())))
    const rows: Row[] = FEATURES.map((feature) => {
      const cpu = cpuAdded(results, feature.name, feature.baseline, (r) => r.servingMs)
      const stack = cpuAdded(results, feature.name, feature.baseline, (r) => r.stackMs + r.redisMs)
      const p50 = cpuAdded(results, feature.name, feature.baseline, (r) => r.p50)
      return {
        figure: `Feature cost: ${feature.name}`,
        value: `CPU ${signedMs(cpu)}/request (stack ${signedMs(stack)}); p50 ${signedMs(p50)} (vs ${feature.baseline})`,
        ...INFO,
      }
    })
    const lines = [
      '| Request | baseline | workerd CPU ms/req | stack + redis-server ms/req | p50 at 1 conn | failed |',
      '| --- | --- | --- | --- | --- | --- |',
      ...[{ name: TRIVIAL_BASELINE, baseline: '–' }, ...FEATURES].map((feature) => {
        const med = (pick: Parameters<typeof cpuMedian>[2]) =>
          cpuMedian(results, feature.name, pick)
        const failed = (results.get(feature.name)?.rounds ?? []).reduce((n, r) => n + r.failures, 0)
        return `| ${feature.name} | ${feature.baseline} | ${ms(med((r) => r.servingMs))} | ${ms(med((r) => r.stackMs + r.redisMs))} | ${ms(med((r) => r.p50))} | ${failed} |`
      }),
    ]
    return {
      title: 'Cost of each feature',
      rows,
      method: [
        `One tenant per feature (bench/features.ts: a config with only that feature on) and the trivial Worker, ${requests} requests each at 1 connection, ${plan.cpuRounds} round(s), order rotating, CPU accounted as in the CPU group. Each row is the median over rounds of (feature − baseline) from the same round: CPU of the gateway’s workerd, CPU of the stack (stand-ins, mock, redis-server), and p50. Baseline = the same request without the feature: pass-through for most, the exact cache for the semantic cache, the trivial Worker for authentication (it cannot be switched off). The request log and metrics are a deployment setting: their row compares the pass-through with a second gateway started with OBSERVABILITY=off (its own workerd, same stack).`,
        'Cold authentication uses a fresh key per request (created through the admin API beforehand), so every request looks its key up in Redis. Limits are set far above what a run reaches: each check runs, none refuses. Cache rows are misses with a store (unique prompts); the hit figures are in the cache and Upstash-latency groups. Retrieval searches a 20-document collection with the last user message and adds the sources to the prompt.',
        'A row is a difference of two short runs, so it is noisier than the headline CPU group: expect a few tenths of a ms of CPU between runs (a feature’s sign and order of magnitude are reliable, its second decimal is not); p50 differences at one connection move by a few tenths of a ms on a quiet machine and up to about 1 ms on a busy one.',
      ],
      sections: [{ title: 'Cost of each feature, absolute figures', lines }],
    }
  },
}
