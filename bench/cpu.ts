/**
 * CPU time per request, from the kernel's accounting of each process. Unlike wall-clock latency on
 * a shared 2-core machine, a process's own CPU time does not grow when another process takes the
 * core: it is the most stable figure we have. The idle rate of each process (timers, GC, the
 * runtime's housekeeping) is measured first and subtracted, so only the work the requests caused
 * is left.
 *
 * Two readings: the scheduler's run time of every thread (/proc/<pid>/task/<tid>/schedstat, ns),
 * which the figures use, and utime + stime (/proc/<pid>/stat), kept as a cross-check. utime and
 * stime are charged a whole 10 ms tick to whichever task is running when the tick fires, so over
 * a run of a few hundred ticks they carry sampling noise of several percent; the scheduler's run
 * time is exact.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { parseStat } from './processes.ts'

/** A process whose CPU is accounted, by a label the report uses ("serving", "stack", ...). */
export type CpuProbe = { label: string; pid: number }

/** Milliseconds of CPU per clock tick: /proc counts in ticks of 1/CLK_TCK s (100 on Linux x86). */
const MS_PER_TICK = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))

/** utime + stime of every thread of the process, in ms (tick resolution). */
export function tickCpuMs(pid: number): number {
  const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  return (stat.utimeTicks + stat.stimeTicks) * MS_PER_TICK
}

/** Run time of every live thread of the process, from schedstat (its first field, ns), in ms. */
export function cpuMs(pid: number): number {
  let ns = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // the thread ended while we looked; its time is lost either way
    }
  }
  return ns / 1e6
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
  /** CPU ms per answered request, by probe label, idle rate subtracted (schedstat). */
  byLabel: Map<string, number>
  /** The same from utime + stime, idle not subtracted: the cross-check. */
  ticksByLabel: Map<string, number>
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
  const ticksBefore = probes.map((probe) => tickCpuMs(probe.pid))
  const started = performance.now()
  const result = await work()
  await new Promise((resolve) => setTimeout(resolve, settleMs))
  const elapsed = performance.now() - started
  const byLabel = new Map<string, number>()
  const ticksByLabel = new Map<string, number>()
  probes.forEach((probe, index) => {
    const used = cpuMs(probe.pid) - (before[index] ?? 0) - (idle.get(probe.pid) ?? 0) * elapsed
    byLabel.set(probe.label, (byLabel.get(probe.label) ?? 0) + used / result.requests)
    const ticks = tickCpuMs(probe.pid) - (ticksBefore[index] ?? 0)
    ticksByLabel.set(probe.label, (ticksByLabel.get(probe.label) ?? 0) + ticks / result.requests)
  })
  return { byLabel, ticksByLabel, requests: result.requests, result }
}
