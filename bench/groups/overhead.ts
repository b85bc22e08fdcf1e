/**
 * Non-streaming overhead at 1 and 16 connections against direct calls, the trivial Worker and
 * Portkey in both runtimes; throughput; added p99 at concurrency 1.
 */
import {
  addedMedian,
  chatBody,
  interleave,
  type RoundFigures,
  roundMedian,
  type Target,
  warmUp,
} from '../overhead.ts'
import type { Row } from '../report.ts'
import { gatewayTarget, referenceTargets } from '../setup.ts'
import { median } from '../stats.ts'
import { INFO, judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, ms, NON_STREAMING_MODEL } from './group.ts'

const CONNECTIONS = [1, 16]
const p50 = (f: RoundFigures) => f.p50
const p99 = (f: RoundFigures) => f.p99
const closedLoop = (f: RoundFigures) => f.closedLoopMean

export const overheadGroup: Group = {
  name: 'overhead',
  async run({ bench, plan, keys, log }: Context) {
    const reference = referenceTargets(bench, NON_STREAMING_MODEL)
    const pass = gatewayTarget(bench, 'gateway pass-through', keys.pass, NON_STREAMING_MODEL)
    const full = gatewayTarget(bench, 'gateway full', keys.full, NON_STREAMING_MODEL)
    const portkeys = [reference.portkey, reference.portkeyWorker].filter(
      (target): target is Target => target !== undefined
    )
    const targets = [reference.direct, reference.trivial, pass, full, ...portkeys]
    log('overhead: warming up')
    await warmUp(targets, plan.secondsPerRun)
    log(
      `overhead: ${plan.rounds} rounds x ${targets.length} targets x ${CONNECTIONS.join('/')} connections`
    )
    const results = await interleave({
      targets,
      connections: CONNECTIONS,
      rounds: plan.rounds,
      seconds: plan.secondsPerRun,
      onRun: (name, connections, figures) =>
        log(
          `  ${name} @${connections}: p50 ${ms(figures.p50)}, ${figures.throughput.toFixed(0)} req/s`
        ),
    })
    const added = (target: Target, base: Target, c: number, pick: (f: RoundFigures) => number) =>
      addedMedian(results, target.name, base.name, c, pick)
    const rows: Row[] = []
    for (const c of CONNECTIONS) {
      rows.push({
        figure: `Runtime alone (trivial Worker) vs direct, ${c} conn: added p50 / p99`,
        value: `${ms(added(reference.trivial, reference.direct, c, p50))} / ${ms(added(reference.trivial, reference.direct, c, p99))}`,
        ...INFO,
      })
    }
    rows.push({
      figure: 'Added p99 at concurrency 1 over direct: pass-through / trivial Worker / full',
      value: [pass, reference.trivial, full]
        .map((target) => ms(added(target, reference.direct, 1, p99)))
        .join(' / '),
      ...INFO,
    })
    for (const c of CONNECTIONS) {
      const addedP50 = added(pass, reference.trivial, c, p50)
      const addedP99 = added(pass, reference.trivial, c, p99)
      rows.push(
        {
          figure: `Pass-through vs trivial Worker, ${c} conn: added p50`,
          value: `${ms(addedP50)} (closed-loop mean ${ms(added(pass, reference.trivial, c, closedLoop))})`,
          ...judge(THRESHOLDS.passOverTrivialP50, addedP50),
        },
        {
          figure: `Pass-through vs trivial Worker, ${c} conn: added p99`,
          value: ms(addedP99),
          ...judge(THRESHOLDS.passOverTrivialP99, addedP99),
        }
      )
    }
    for (const c of CONNECTIONS) {
      const addedP50 = added(full, reference.trivial, c, p50)
      rows.push({
        figure: `Full profile vs trivial Worker, ${c} conn: added p50 (p99)`,
        value: `${ms(addedP50)} (${ms(added(full, reference.trivial, c, p99))})`,
        ...judge(THRESHOLDS.fullOverTrivialP50, addedP50),
      })
    }
    for (const portkey of portkeys) {
      for (const c of CONNECTIONS) {
        const ours = {
          p50: added(pass, reference.direct, c, p50),
          p99: added(pass, reference.direct, c, p99),
        }
        const theirs = {
          p50: added(portkey, reference.direct, c, p50),
          p99: added(portkey, reference.direct, c, p99),
        }
        const value = `ours ${ms(ours.p50)} / ${ms(ours.p99)}; ${portkey.name} ${ms(theirs.p50)} / ${ms(theirs.p99)}`
        const figure = `Pass-through vs ${portkey.name}, ${c} conn: added over direct p50 / p99`
        // The issue-12 target is against Portkey in the same runtime; the Node row is context.
        rows.push(
          portkey === reference.portkeyWorker
            ? {
                figure,
                value,
                ...judge(
                  THRESHOLDS.portkeyLatencyGap,
                  Math.max(ours.p50 - theirs.p50, ours.p99 - theirs.p99)
                ),
              }
            : { figure, value, ...INFO }
        )
      }
    }
    const throughput = (target: Target) =>
      roundMedian(results, target.name, 16, (f) => f.throughput)
    const others = targets
      .filter((target) => target !== pass)
      .map((target) => `${target.name} ${throughput(target).toFixed(0)}`)
      .join(', ')
    const sameRuntime = reference.portkeyWorker
    rows.push({
      figure: 'Throughput at 16 conn: pass-through vs Portkey (workerd)',
      value: `ours ${throughput(pass).toFixed(0)} req/s (${others})`,
      ...judge(
        THRESHOLDS.portkeyThroughputRatio,
        sameRuntime ? throughput(pass) / throughput(sameRuntime) : Number.NaN
      ),
    })
    const lines = [
      '| Target | Conn | p50 | p99 | closed-loop mean | req/s | failed requests |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    ]
    for (const target of targets) {
      for (const c of CONNECTIONS) {
        const med = (pick: (f: RoundFigures) => number) =>
          roundMedian(results, target.name, c, pick)
        const failed = results
          .get(target.name)
          ?.get(c)
          ?.rounds.reduce((sum, f) => sum + f.failures, 0)
        lines.push(
          `| ${target.name} | ${c} | ${ms(med(p50))} | ${ms(med(p99))} | ${ms(med(closedLoop))} | ${med((f) => f.throughput).toFixed(0)} | ${failed ?? 0} |`
        )
      }
    }
    lines.push(
      '',
      `Medians over ${plan.rounds} rounds of ${plan.secondsPerRun} s per target and concurrency.`,
      '',
      ...(await selfReported(pass, full))
    )
    return {
      title: 'Non-streaming overhead and throughput',
      rows,
      method: [
        'autocannon (programmatic) runs short closed-loop runs against each target in turn (direct to the mock, trivial Worker, gateway pass-through, gateway full, Portkey on Node, Portkey’s Worker build in workerd), repeated in rounds with the order rotating; every request body is unique. Latencies come from autocannon’s per-response hrtime timings (sub-millisecond). Overheads are per-round differences against the baseline run of the same round, then the median over rounds. The closed-loop mean is connections / throughput.',
        'Profiles: pass-through = a tenant with no limits, no budget and no cache (its key is served from the isolate cache after warm-up); full = request, token, concurrency and per-key limits, a monthly budget, and exact + semantic cache on (every request misses both: unique prompts). In the full profile every miss also stores its answer, so the tenant’s Vector namespace grows during the run; the stand-in’s exact scan gets slower with it.',
        'Not stable on a shared machine: wall-clock latency includes the load generator, the stand-ins and other users’ processes on the same 2 cores. Interleaving makes a noisy moment hit all targets alike, so compare within a row; at 16 connections the figures mostly measure who wins the cores. The CPU group is the stable view of the same cost.',
      ],
      sections: [{ title: 'Non-streaming, per target', lines }],
      latencyPanels: CONNECTIONS.map((connections) => ({
        title: `Non-streaming latency, ${connections} connection${connections > 1 ? 's' : ''}`,
        series: [...results.entries()].map(([name, byConnections]) => ({
          name,
          latencies: byConnections.get(connections)?.latencies ?? [],
        })),
      })),
    }
  },
}

/** The gateway's own `x-gateway-overhead-ms` (time not spent waiting on the upstream). */
async function selfReported(pass: Target, full: Target): Promise<string[]> {
  const lines: string[] = []
  for (const target of [pass, full]) {
    const values: number[] = []
    for (let i = 0; i < 50; i += 1) {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body: chatBody(target.model, Date.now() * 100 + i),
      })
      await response.arrayBuffer()
      values.push(Number(response.headers.get('x-gateway-overhead-ms')))
    }
    lines.push(
      `Self-reported \`x-gateway-overhead-ms\` (${target.name}, 50 sequential requests): median ${ms(median(values))}.`
    )
  }
  return lines
}
