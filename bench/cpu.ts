/**
 * CPU time per request, from the kernel's accounting of each process (utime + stime in
 * /proc/<pid>/stat). Unlike wall-clock latency on a shared 2-core machine, a process's own CPU time
 * does not grow when another process takes the core: it is the most stable figure we have. The
 * idle rate of each process (timers, GC, the runtime's housekeeping) is measured first and
 * subtracted, so only the work the requests caused is left.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parseStat } from './processes.ts'

/** A process whose CPU is accounted, by a label the report uses ("serving", "stack", ...). */
export type CpuProbe = { label: string; pid: number }

/** Milliseconds of CPU per clock tick: /proc counts in ticks of 1/CLK_TCK s (100 on Linux x86). */
const MS_PER_TICK = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))

export function cpuMs(pid: number): number {
  const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  return (stat.utimeTicks + stat.stimeTicks) * MS_PER_TICK
}

/** CPU ms each probe burns per wall-clock ms while nothing is sent to it. */
export type IdleRates = Map<number, number>

export async function idleRates(pids: Iterable<number>, windowMs: number): Promise<IdleRates> {
  const list = [...new Set(pids)]
  const before = list.map(cpuMs)
  const started = performance.now()
  await new Promise((resolve) => setTimeout(resolve, windowMs))
  const elapsed = performance.now() - started
  return new Map(list.map((pid, index) => [pid, (cpuMs(pid) - (before[index] ?? 0)) / elapsed]))
}

export type CpuPerRequest = {
  /** CPU ms per answered request, by probe label, idle rate subtracted. */
  byLabel: Map<string, number>
  requests: number
}

/**
 * Runs `work` (which answers `requests`), waits `settleMs` so work deferred past the response
 * (waitUntil flushes, cache writes) is counted too, and divides each probe's CPU by the requests.
 */
export async function cpuPerRequest<T extends { requests: number }>(
  probes: CpuProbe[],
  idle: IdleRates,
  settleMs: number,
  work: () => Promise<T>
): Promise<CpuPerRequest & { result: T }> {
  const before = probes.map((probe) => cpuMs(probe.pid))
  const started = performance.now()
  const result = await work()
  await new Promise((resolve) => setTimeout(resolve, settleMs))
  const elapsed = performance.now() - started
  const byLabel = new Map<string, number>()
  probes.forEach((probe, index) => {
    const used = cpuMs(probe.pid) - (before[index] ?? 0) - (idle.get(probe.pid) ?? 0) * elapsed
    byLabel.set(probe.label, (byLabel.get(probe.label) ?? 0) + used / result.requests)
  })
  return { byLabel, requests: result.requests, result }
}
