/**
 * CPU per request of several targets, interleaved: every round runs a fixed number of requests
 * against each target in turn (order rotating), and accounts the CPU of the target's serving
 * process and, separately, of the stack (stand-ins + mock, and its redis-server), so the
 * gateway's cost is never mixed with the stand-ins'. Latency percentiles of the same runs come
 * along, so a feature's added p50 is measured on exactly the requests its CPU is.
 */
import { type CpuProbe, cpuPerRequest, idleRates } from './cpu.ts'
import { failures, runLoad } from './load.ts'
import { loadRequest, type Target } from './overhead.ts'
import type { Bench } from './setup.ts'
import { ascending, median, percentile, rotate } from './stats.ts'

export type CpuSubject = {
  target: Target
  /** Requests per run; streams take longer, so they may run fewer. */
  requests: number
  connections: number
}

export type CpuRound = {
  servingMs: number
  /** utime + stime of the serving process per request, no idle subtracted: the cross-check. */
  servingTickMs: number
  stackMs: number
  redisMs: number
  p50: number
  p99: number
  failures: number
}

export type CpuSeries = { rounds: CpuRound[] }

export type CpuRunSpec = {
  subjects: CpuSubject[]
  rounds: number
  idleMs: number
  /** Requests per target before round 1 (JIT, the isolate's key cache, a primed exact hit). */
  warmUpRequests: number
  onRun?: (name: string, round: CpuRound) => void
}

/** After a run, so the after-response work (waitUntil) of its last requests is counted. */
export const SETTLE_MS = 500

export async function cpuRuns(bench: Bench, spec: CpuRunSpec): Promise<Map<string, CpuSeries>> {
  const stackPids = [bench.stack.pid, bench.stack.redisServerPid].filter(isPid)
  const servingPids = spec.subjects.map((subject) => subject.target.pid).filter(isPid)
  for (const subject of spec.subjects) {
    await runLoad({
      ...loadRequest(subject.target),
      connections: subject.connections,
      amount: spec.warmUpRequests,
    })
  }
  const idle = await idleRates([...stackPids, ...servingPids], spec.idleMs)
  const results = new Map(
    spec.subjects.map((subject): [string, CpuSeries] => [subject.target.name, { rounds: [] }])
  )
  for (let round = 0; round < spec.rounds; round += 1) {
    for (const subject of rotate(spec.subjects, round)) {
      const probes: CpuProbe[] = [
        { label: 'stack', pid: bench.stack.pid },
        ...(bench.stack.redisServerPid === undefined
          ? []
          : [{ label: 'redis', pid: bench.stack.redisServerPid }]),
        ...(subject.target.pid === undefined
          ? []
          : [{ label: 'serving', pid: subject.target.pid }]),
      ]
      const measured = await cpuPerRequest(probes, idle, SETTLE_MS, async () => {
        const result = await runLoad({
          ...loadRequest(subject.target),
          connections: subject.connections,
          amount: subject.requests,
        })
        return { requests: result.latencies.length, result }
      })
      const sorted = ascending(measured.result.result.latencies)
      const figures: CpuRound = {
        // No serving process (direct to the mock) is NaN, not 0: nothing was measured.
        servingMs: measured.byLabel.get('serving') ?? Number.NaN,
        servingTickMs: measured.ticksByLabel.get('serving') ?? Number.NaN,
        stackMs: measured.byLabel.get('stack') ?? Number.NaN,
        redisMs: measured.byLabel.get('redis') ?? Number.NaN,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        failures: failures(measured.result.result),
      }
      results.get(subject.target.name)?.rounds.push(figures)
      spec.onRun?.(subject.target.name, figures)
    }
  }
  return results
}

/** Median over rounds of one figure. */
export function cpuMedian(
  results: Map<string, CpuSeries>,
  name: string,
  pick: (round: CpuRound) => number
): number {
  return median((results.get(name)?.rounds ?? []).map(pick))
}

/** Median over rounds of `pick(target) - pick(baseline)`, both from the same round. */
export function cpuAdded(
  results: Map<string, CpuSeries>,
  name: string,
  baseline: string,
  pick: (round: CpuRound) => number
): number {
  const base = results.get(baseline)?.rounds ?? []
  return median(
    (results.get(name)?.rounds ?? []).flatMap((round, index) => {
      const other = base[index]
      return other ? [pick(round) - pick(other)] : []
    })
  )
}

/** "a – b" over rounds, so the table shows how much a figure moved between them. */
export function cpuRange(
  results: Map<string, CpuSeries>,
  name: string,
  pick: (round: CpuRound) => number
): string {
  const values = (results.get(name)?.rounds ?? []).map(pick).filter((v) => !Number.isNaN(v))
  if (values.length === 0) return 'n/a'
  const low = Math.min(...values)
  const high = Math.max(...values)
  return values.length === 1 ? low.toFixed(2) : `${low.toFixed(2)} – ${high.toFixed(2)}`
}

function isPid(pid: number | undefined): pid is number {
  return pid !== undefined
}
