/**
 * Non-streaming overhead, measured the way a shared, noisy machine allows: short runs against
 * every target in turn, repeated in rounds (the order rotating each round), so a noisy moment
 * hits all targets alike. Figures are per-round differences against a baseline, then the median
 * across rounds.
 */
import { failures, type LoadSpec, runLoad } from './load.ts'
import { ascending, median, percentile, rotate } from './stats.ts'

export type Target = {
  name: string
  url: string
  headers: Record<string, string>
  model: string
  /** The process serving it (workerd or Node), for its CPU and memory; none for direct. */
  pid?: number
  /** Request bodies; unique prompts from `chatBody` unless set (an exact hit repeats one). */
  body?: (sequence: number) => string
  headersFor?: (sequence: number) => Record<string, string>
}

/** The request `runLoad` sends to a target: its body and headers. */
export function loadRequest(
  target: Target
): Pick<LoadSpec, 'url' | 'headers' | 'body' | 'headersFor'> {
  return {
    url: target.url,
    headers: target.headers,
    body: target.body ?? ((sequence) => chatBody(target.model, sequence)),
    ...(target.headersFor ? { headersFor: target.headersFor } : {}),
  }
}

export type RoundFigures = {
  p50: number
  p99: number
  /** connections / throughput: the mean latency of a closed loop, below autocannon's 1 ms grid. */
  closedLoopMean: number
  throughput: number
  failures: number
}

export type Series = { rounds: RoundFigures[]; latencies: number[] }

/** Results by target name, then by connection count. */
export type Interleaved = Map<string, Map<number, Series>>

export type InterleaveSpec = {
  targets: Target[]
  connections: number[]
  rounds: number
  seconds: number
  onRun?: (target: string, connections: number, figures: RoundFigures) => void
}

export function chatBody(model: string, sequence: number, stream = false): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: `Benchmark request ${sequence}: answer in a few words.` }],
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  })
}

export async function warmUp(targets: Target[], seconds: number): Promise<void> {
  for (const target of targets) await measure(target, 16, seconds)
}

export async function interleave(spec: InterleaveSpec): Promise<Interleaved> {
  const results: Interleaved = new Map(
    spec.targets.map((target) => [
      target.name,
      new Map(spec.connections.map((c) => [c, { rounds: [], latencies: [] }])),
    ])
  )
  for (let round = 0; round < spec.rounds; round += 1) {
    const order = rotate(spec.targets, round)
    for (const connections of spec.connections) {
      for (const target of order) {
        const { figures, latencies } = await measure(target, connections, spec.seconds)
        const series = results.get(target.name)?.get(connections)
        series?.rounds.push(figures)
        series?.latencies.push(...latencies)
        spec.onRun?.(target.name, connections, figures)
      }
    }
  }
  return results
}

/** Median over rounds of `pick(target) - pick(baseline)`, both from the same round. */
export function addedMedian(
  results: Interleaved,
  target: string,
  baseline: string,
  connections: number,
  pick: (figures: RoundFigures) => number
): number {
  const ours = results.get(target)?.get(connections)?.rounds ?? []
  const theirs = results.get(baseline)?.get(connections)?.rounds ?? []
  return median(
    ours.flatMap((figures, round) => {
      const base = theirs[round]
      return base ? [pick(figures) - pick(base)] : []
    })
  )
}

/** Median over rounds of one figure of one target. */
export function roundMedian(
  results: Interleaved,
  target: string,
  connections: number,
  pick: (figures: RoundFigures) => number
): number {
  return median((results.get(target)?.get(connections)?.rounds ?? []).map(pick))
}

async function measure(
  target: Target,
  connections: number,
  seconds: number
): Promise<{ figures: RoundFigures; latencies: number[] }> {
  const result = await runLoad({ ...loadRequest(target), connections, durationSeconds: seconds })
  const sorted = ascending(result.latencies)
  return {
    figures: {
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      closedLoopMean: (connections / result.throughput) * 1000,
      throughput: result.throughput,
      failures: failures(result),
    },
    latencies: result.latencies,
  }
}
