/**
 * What every figure group of `npm run bench` shares: the running bench, the plan (how many
 * rounds and requests, smaller with --quick), the benchmark tenants, and what a group returns.
 */
import type { Panel } from '../chart.ts'
import type { GroupReport } from '../report.ts'
import type { Bench } from '../setup.ts'

export type Plan = {
  quick: boolean
  rounds: number
  secondsPerRun: number
  streamRounds: number
  streamsPerRound: number
  cacheSamples: number
  sustainSeconds: number
  sustainRate: number
  burst: number
  burstLimit: number
  /** CPU groups: requests per measured run, rounds, and the idle window before them. */
  cpuRequests: number
  /** Requests per run for each feature tenant (at one connection). */
  featureRequests: number
  cpuRounds: number
  idleMs: number
  startupSamples: number
  latencySamples: number
  /** Added per call by the delaying proxies: same-region Upstash figures by default. */
  latency: { redisMs: number; vectorMs: number }
  openLoopRates: number[]
  openLoopSeconds: number
  memorySeconds: number
}

export type Keys = { pass: string; full: string }

export type Context = { bench: Bench; plan: Plan; keys: Keys; log(line: string): void }

/** CPU per request of one target, for the chart's bars. */
export type CpuBar = { name: string; servingMs: number; stackMs: number }

export type GroupResult = GroupReport & { latencyPanels?: Panel[]; cpuBars?: CpuBar[] }

export type Group = {
  /** What `--only <name>` selects. */
  name: string
  run(context: Context): Promise<GroupResult>
}

export const ms = (value: number): string => `${value.toFixed(2)} ms`
export const signedMs = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms`
export const KIB = 1024
export const MIB = 1024 * 1024
/** Non-streaming requests ask the mock provider by a name the gateway's catalog routes. */
export const NON_STREAMING_MODEL = 'mock-gpt'
