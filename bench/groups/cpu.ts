/**
 * The headline: CPU per request of the serving process (workerd, or Node for Portkey's Node
 * build) for the trivial Worker, our pass-through, full profile (miss), exact hit and streaming,
 * and Portkey in both runtimes; the stack's CPU beside it, never mixed in.
 */
import { type CpuSubject, cpuAdded, cpuMedian, cpuRange, cpuRuns, SETTLE_MS } from '../cpu-runs.ts'
import { chatBody, type Target } from '../overhead.ts'
import type { Row } from '../report.ts'
import { gatewayTarget, referenceTargets } from '../setup.ts'
import { INFO, judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, ms, NON_STREAMING_MODEL } from './group.ts'

/** Short streams: 20 tokens 1 ms apart, so a CPU run of streams takes seconds, not minutes. */
export const CPU_STREAM_MODEL = 'm:tokens=20,delay=1'
/** Streams run fewer requests per run, at more connections: each takes ~25 ms of waiting. */
const STREAM_SHARE = 4
const CONNECTIONS = 2

export const cpuGroup: Group = {
  name: 'cpu',
  async run(context: Context) {
    const { bench, plan, keys, log } = context
    const reference = referenceTargets(bench, NON_STREAMING_MODEL)
    const streamed = referenceTargets(bench, CPU_STREAM_MODEL)
    const run = Date.now()
    const stream = (target: Target, name: string): Target => ({
      ...target,
      name,
      body: (sequence) => chatBody(target.model, sequence, true),
    })
    const targets = {
      direct: reference.direct,
      trivial: reference.trivial,
      pass: gatewayTarget(bench, 'gateway pass-through', keys.pass, NON_STREAMING_MODEL),
      full: gatewayTarget(bench, 'gateway full (miss)', keys.full, NON_STREAMING_MODEL),
      exact: {
        ...gatewayTarget(bench, 'gateway full (exact hit)', keys.full, NON_STREAMING_MODEL),
        // One question for the whole run: the warm-up's first request stores it.
        body: () => chatBody(NON_STREAMING_MODEL, run),
      },
      trivialStream: stream(streamed.trivial, 'trivial Worker, streamed'),
      passStream: stream(
        gatewayTarget(bench, 'gateway pass-through', keys.pass, `mock/${CPU_STREAM_MODEL}`),
        'gateway pass-through, streamed'
      ),
      portkey: reference.portkey,
      portkeyWorker: reference.portkeyWorker,
    }
    const subjects: CpuSubject[] = Object.values(targets).flatMap((target) => {
      if (!target) return []
      const streams = target.name.endsWith('streamed')
      return [
        {
          target,
          requests: streams ? Math.ceil(plan.cpuRequests / STREAM_SHARE) : plan.cpuRequests,
          connections: streams ? CONNECTIONS * 2 : CONNECTIONS,
        },
      ]
    })
    log(`cpu: ${plan.cpuRounds} rounds x ${subjects.length} targets x ${plan.cpuRequests} requests`)
    const results = await cpuRuns(bench, {
      subjects,
      rounds: plan.cpuRounds,
      idleMs: plan.idleMs,
      warmUpRequests: Math.ceil(plan.cpuRequests / 10),
      onRun: (name, round) =>
        log(`  ${name}: ${ms(round.servingMs)} serving, ${ms(round.stackMs)} stack per request`),
    })
    const serving = (target: Target | undefined) =>
      target ? cpuMedian(results, target.name, (r) => r.servingMs) : Number.NaN
    const stackCpu = (target: Target) => cpuMedian(results, target.name, (r) => r.stackMs)
    const trivial = serving(targets.trivial)
    const rows: Row[] = subjects.map(({ target }) => ({
      figure: `CPU per request: ${target.name}`,
      value:
        target.pid === undefined
          ? `stack ${ms(stackCpu(target))} (the mock alone)`
          : `${ms(serving(target))} (rounds ${cpuRange(results, target.name, (r) => r.servingMs)}); stack ${ms(stackCpu(target))}`,
      ...INFO,
    }))
    const passOverTrivial = cpuAdded(
      results,
      targets.pass.name,
      targets.trivial.name,
      (r) => r.servingMs
    )
    rows.push(
      {
        figure: 'CPU per request: pass-through minus trivial Worker',
        value: ms(passOverTrivial),
        ...judge(THRESHOLDS.passCpuOverTrivial, passOverTrivial),
      },
      {
        figure: 'CPU per request: full profile (miss) over trivial Worker',
        value: `${(serving(targets.full) / trivial).toFixed(2)} x (${ms(serving(targets.full))} / ${ms(trivial)})`,
        ...judge(THRESHOLDS.fullCpuOverTrivialRatio, serving(targets.full) / trivial),
      },
      {
        figure: 'CPU per request: pass-through minus Portkey (workerd)',
        value: targets.portkeyWorker
          ? `${ms(serving(targets.pass) - serving(targets.portkeyWorker))} (ours ${ms(serving(targets.pass))}, Portkey ${ms(serving(targets.portkeyWorker))}; Portkey on Node ${ms(serving(targets.portkey))})`
          : 'Portkey Worker bundle not found',
        ...judge(THRESHOLDS.portkeyCpuGap, serving(targets.pass) - serving(targets.portkeyWorker)),
      }
    )
    const lines = [
      '| Target | serving process ms/req (median; rounds) | utime+stime cross-check | stack ms/req | its redis-server ms/req | p50 at 2 conn | failed |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...subjects.map(({ target }) => {
        const failed = (results.get(target.name)?.rounds ?? []).reduce((n, r) => n + r.failures, 0)
        return `| ${target.name} | ${target.pid === undefined ? '–' : `${ms(serving(target))} (${cpuRange(results, target.name, (r) => r.servingMs)})`} | ${target.pid === undefined ? '–' : ms(cpuMedian(results, target.name, (r) => r.servingTickMs))} | ${ms(stackCpu(target))} | ${ms(cpuMedian(results, target.name, (r) => r.redisMs))} | ${ms(cpuMedian(results, target.name, (r) => r.p50))} | ${failed} |`
      }),
    ]
    return {
      title: 'CPU per request (headline)',
      rows,
      method: [
        `The serving process’s CPU time (the scheduler’s run time of its threads, /proc/<pid>/task/*/schedstat; utime + stime from /proc/<pid>/stat, which counts whole 10 ms ticks, is shown beside it as a cross-check without the idle subtraction) around a run of ${plan.cpuRequests} requests (streams: a quarter of that, 20 tokens 1 ms apart) at ${CONNECTIONS} connections (streams ${CONNECTIONS * 2}), plus ${SETTLE_MS} ms afterwards so waitUntil work is counted, divided by the answered requests. Each process’s idle CPU rate, measured over ${plan.idleMs} ms with nothing sent, times the run’s duration is subtracted. ${plan.cpuRounds} rounds, order rotating; the median is shown with the range over rounds (nearest-rank: with two rounds, the lower).`,
        'The stack process (stand-ins + mock) and its redis-server are accounted separately: what we make the stand-ins do is theirs, not the Worker’s. Portkey (Node) is one Node process; Portkey (workerd) is its Worker build in its own workerd like ours.',
        'Stable on a shared machine: a process’s CPU time does not grow when another process holds the core, unlike wall-clock latency; contention still costs some cache misses and frequency, a few percent. The workerd process includes Miniflare’s entry worker, which the trivial Worker pays too, so compare against it.',
      ],
      sections: [{ title: 'CPU per request, per target', lines }],
      cpuBars: subjects
        .filter(({ target }) => target.pid !== undefined)
        .map(({ target }) => ({
          name: target.name,
          servingMs: serving(target),
          stackMs: stackCpu(target),
        })),
    }
  },
}
