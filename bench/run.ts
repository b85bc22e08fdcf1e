/**
 * `npm run bench [-- --quick] [--only <group>[,<group>]] [--rounds N] [--sustain-seconds S]
 * [--redis-delay-ms R] [--vector-delay-ms V]`: every figure of the gateway's performance in one
 * run on this machine. Starts everything on loopback, writes bench/results.md and
 * bench/latency.png (with --only: bench/.out/, so a partial run never replaces the full
 * results), and prints the table.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { writeLatencyChart } from './chart.ts'
import { axesGroup } from './groups/axes.ts'
import { cacheGroup } from './groups/cache.ts'
import { cpuGroup } from './groups/cpu.ts'
import { featuresGroup } from './groups/features.ts'
import type { Group, GroupResult, Plan } from './groups/group.ts'
import { guardrailsGroup } from './groups/guardrails.ts'
import { limiterGroup } from './groups/limiter.ts'
import { overheadGroup } from './groups/overhead.ts'
import { startupGroup } from './groups/startup.ts'
import { streamingGroup } from './groups/streaming.ts'
import { upstashGroup } from './groups/upstash.ts'
import { machineFacts, table, writeReport } from './report.ts'
import { startBench } from './setup.ts'
import { createTenantKey, FULL, FULL_EXACT_ONLY, PASS_THROUGH } from './tenants.ts'

/** In report order: the stable headline figures first. */
const GROUPS: Group[] = [
  cpuGroup,
  startupGroup,
  upstashGroup,
  overheadGroup,
  streamingGroup,
  axesGroup,
  featuresGroup,
  guardrailsGroup,
  cacheGroup,
  limiterGroup,
]

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    'sustain-seconds': { type: 'string' },
    'redis-delay-ms': { type: 'string' },
    'vector-delay-ms': { type: 'string' },
  },
})
const quick = flags.quick === true
const plan: Plan = {
  quick,
  rounds: Number(flags.rounds ?? (quick ? 2 : 5)),
  secondsPerRun: quick ? 1 : 2,
  streamRounds: quick ? 2 : 5,
  streamsPerRound: quick ? 2 : 5,
  cacheSamples: quick ? 20 : 60,
  // 30 s: the axes group's memory plateau now answers the long-run memory question.
  sustainSeconds: Number(flags['sustain-seconds'] ?? (quick ? 10 : 30)),
  sustainRate: 50,
  burst: 200,
  burstLimit: 50,
  cpuRequests: quick ? 150 : 600,
  featureRequests: quick ? 100 : 300,
  cpuRounds: quick ? 1 : 2,
  idleMs: quick ? 1000 : 2000,
  startupSamples: quick ? 2 : 5,
  latencySamples: quick ? 10 : 60,
  latency: {
    redisMs: Number(flags['redis-delay-ms'] ?? 2),
    vectorMs: Number(flags['vector-delay-ms'] ?? 15),
  },
  openLoopRates: quick ? [100, 400] : [100, 250, 500, 750, 1000, 1500],
  openLoopSeconds: quick ? 1 : 1.5,
  memorySeconds: quick ? 4 : 20,
}
const invalid = Object.entries(plan).find(
  ([, value]) => typeof value === 'number' && (!Number.isFinite(value) || value <= 0)
)
if (invalid || !Number.isInteger(plan.rounds) || !Number.isInteger(plan.sustainSeconds)) {
  console.error(`--${invalid?.[0] ?? 'rounds/sustain-seconds'} must be a positive whole number`)
  process.exit(1)
}
if (plan.latency.redisMs < 0 || plan.latency.vectorMs < 0) {
  console.error('--redis-delay-ms and --vector-delay-ms must be 0 or more')
  process.exit(1)
}
const only = flags.only?.split(',').map((name) => name.trim())
const unknown = only?.filter((name) => !GROUPS.some((group) => group.name === name))
if (unknown && unknown.length > 0) {
  console.error(
    `--only: no group ${unknown.join(', ')}; groups: ${GROUPS.map((g) => g.name).join(', ')}`
  )
  process.exit(1)
}
const selected = only ? GROUPS.filter((group) => only.includes(group.name)) : GROUPS

const OUT = only ? new URL('./.out/', import.meta.url) : new URL('./', import.meta.url)
const RESULTS = fileURLToPath(new URL('results.md', OUT))
const CHART = fileURLToPath(new URL('latency.png', OUT))
const log = (line: string) => console.error(`[bench] ${line}`)

async function main(): Promise<void> {
  const started = performance.now()
  log('building bundles and starting the stack, the Workers and Portkey')
  const bench = await startBench()
  try {
    const keys = {
      pass: await createTenantKey(
        bench.gateway.url,
        bench.adminToken,
        'pass-through',
        PASS_THROUGH
      ),
      full: await createTenantKey(bench.gateway.url, bench.adminToken, 'full', FULL),
      exact: await createTenantKey(
        bench.gateway.url,
        bench.adminToken,
        'full, exact cache only',
        FULL_EXACT_ONLY
      ),
    }
    const results: GroupResult[] = []
    for (const group of selected) {
      const groupStarted = performance.now()
      results.push(await group.run({ bench, plan, keys, log }))
      log(`${group.name}: ${((performance.now() - groupStarted) / 1000).toFixed(0)} s`)
    }
    mkdirSync(fileURLToPath(OUT), { recursive: true })
    const latencyPanels = results.flatMap((result) => result.latencyPanels ?? [])
    const cpuBars = results.flatMap((result) => result.cpuBars ?? [])
    writeLatencyChart(CHART, latencyPanels, cpuBars)
    const seconds = (performance.now() - started) / 1000
    writeReport(
      RESULTS,
      {
        groups: results,
        method: METHOD,
        chart: 'latency.png',
        command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        seconds,
      },
      machineFacts(versions())
    )
    console.log(table(results.flatMap((result) => result.rows)))
    log(`wrote ${RESULTS} and ${CHART} in ${seconds.toFixed(0)} s`)
  } finally {
    await bench.close()
  }
}

const METHOD = [
  'Everything runs on loopback on this machine: the mock provider and the Upstash stand-ins (dev/stack.ts) in one child process with its own redis-server, the gateway and a trivial pass-through Worker (bench/trivial-worker.ts) each built with `wrangler deploy --dry-run` and run in its own workerd through Miniflare’s API on a real port, Portkey’s Worker build (../shared/peers/portkey, its own compatibility date and flags) in a third workerd the same way, and `@portkey-ai/gateway` (its published Node build) in a Node child process. All of them call the same mock.',
  'The machine is shared and has 2 cores for the load generator, the Workers, the stand-ins and the mock, so wall-clock figures include CPU contention: compare within a row. CPU per request (from /proc), startup CPU, round-trip counts, bundle sizes and limiter counts do not depend on contention and are the figures to quote.',
  'Targets and their sources are data in bench/thresholds.ts; "issue 11" rows are also listed at the top.',
]

function versions(): Record<string, string> {
  const version = (name: string) =>
    (
      JSON.parse(
        readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')
      ) as { version: string }
    ).version
  return {
    workerd: version('workerd'),
    miniflare: version('miniflare'),
    wrangler: version('wrangler'),
    autocannon: version('autocannon'),
    '@portkey-ai/gateway': version('@portkey-ai/gateway'),
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
