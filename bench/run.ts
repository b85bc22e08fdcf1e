/**
 * `npm run bench [-- --quick] [--sustain-seconds 60] [--rounds 5]`: every figure of the gateway's
 * performance in one run on this machine. Starts everything on loopback, writes
 * bench/results.md and bench/latency.png, and prints the table.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { cacheHits } from './cache-hits.ts'
import { writeLatencyChart } from './chart.ts'
import { coldStart } from './coldstart.ts'
import { burst, sustained } from './limiter.ts'
import {
  addedMedian,
  chatBody,
  type Interleaved,
  interleave,
  type RoundFigures,
  roundMedian,
  type Target,
  warmUp,
} from './overhead.ts'
import { machineFacts, type Row, table, writeReport } from './report.ts'
import { type Bench, gatewayTarget, referenceTargets, startBench } from './setup.ts'
import { median } from './stats.ts'
import { addedPerRound, type StreamSeries, streamRounds } from './streaming.ts'
import { CACHE_ON, createTenantKey, FULL, PASS_THROUGH } from './tenants.ts'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'sustain-seconds': { type: 'string' },
  },
})
const quick = flags.quick === true
const plan = {
  rounds: Number(flags.rounds ?? (quick ? 2 : 5)),
  secondsPerRun: quick ? 1 : 2,
  streamRounds: quick ? 2 : 6,
  streamsPerRound: quick ? 2 : 5,
  coldSamples: quick ? 2 : 5,
  cacheSamples: quick ? 20 : 60,
  sustainSeconds: Number(flags['sustain-seconds'] ?? (quick ? 10 : 60)),
  sustainRate: 50,
  burst: 200,
  burstLimit: 50,
}
for (const [name, value] of Object.entries(plan)) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive whole number`)
    process.exit(1)
  }
}

const RESULTS = fileURLToPath(new URL('./results.md', import.meta.url))
const CHART = fileURLToPath(new URL('./latency.png', import.meta.url))
const NON_STREAMING_MODEL = 'mock-gpt'
/** 200 tokens, 5 ms apart; the gateway addresses the mock provider directly by name. */
const STREAM_MODEL = 'm:tokens=200,delay=5'
const CONCURRENCY = [1, 16]
const KIB = 1024
const MIB = 1024 * 1024

const ms = (value: number) => `${value.toFixed(2)} ms`
const verdict = (ok: boolean) => (ok ? 'pass' : 'miss')
const log = (line: string) => console.error(`[bench] ${line}`)

async function main(): Promise<void> {
  const started = performance.now()
  log('building bundles and starting the stack, the Workers and Portkey')
  const bench = await startBench()
  try {
    const rows: Row[] = []
    const sections: Array<{ title: string; lines: string[] }> = []
    const keys = {
      pass: await createTenantKey(
        bench.gateway.url,
        bench.adminToken,
        'pass-through',
        PASS_THROUGH
      ),
      full: await createTenantKey(bench.gateway.url, bench.adminToken, 'full', FULL),
    }

    const overhead = await nonStreaming(bench, keys)
    rows.push(...overhead.rows)
    sections.push(overhead.section)

    const streaming = await streamingFigures(bench, keys.pass)
    rows.push(...streaming.rows)
    sections.push(streaming.section)

    rows.push(...(await coldStartFigures(bench)))
    rows.push(...(await cacheFigures(bench)))
    rows.push(...(await limiterFigures(bench)))

    writeLatencyChart(
      CHART,
      CONCURRENCY.map((connections) => ({
        title: `Non-streaming latency, ${connections} connection${connections > 1 ? 's' : ''}`,
        series: [...overhead.results.entries()].map(([name, byConnections]) => ({
          name,
          latencies: byConnections.get(connections)?.latencies ?? [],
        })),
      }))
    )
    const seconds = (performance.now() - started) / 1000
    writeReport(
      RESULTS,
      {
        rows,
        method: METHOD,
        sections,
        chart: 'latency.png',
        command: `npm run bench${quick ? ' -- --quick' : ''}`,
        seconds,
      },
      machineFacts(versions())
    )
    console.log(table(rows))
    log(`wrote ${RESULTS} and ${CHART} in ${seconds.toFixed(0)} s`)
  } finally {
    await bench.close()
  }
}

const METHOD = [
  'Everything runs on loopback on this machine: the mock provider and the Upstash stand-ins (dev/stack.ts) in one child process, the gateway and a trivial pass-through Worker (bench/trivial-worker.ts) each built with `wrangler deploy --dry-run` and run in its own workerd through Miniflare’s API on a real port, and `@portkey-ai/gateway` (its published Node build) in another child process.',
  'Non-streaming: autocannon (programmatic) runs short closed-loop runs against each target in turn (direct to the mock, trivial Worker, gateway pass-through, gateway full, Portkey), repeated in rounds with the order rotating; every request body is unique. Latencies come from autocannon’s per-response hrtime timings (sub-millisecond). Overheads are per-round differences against the direct run of the same round, then the median over rounds. The closed-loop mean is connections / throughput.',
  'Profiles: pass-through = a tenant with no limits, no budget and no cache (its key is served from the isolate cache after warm-up); full = request, token, concurrency and per-key limits, a monthly budget, and exact + semantic cache on (every request misses both: unique prompts). In the full profile every miss also stores its answer, so the tenant’s Vector namespace grows during the run; the stand-in’s exact scan gets slower with it.',
  'Streaming: a small client (fetch + reader) times the first SSE data frame and the end of a 200-token stream with 5 ms between tokens, one stream at a time, round-robin over the targets; per-round medians, then medians of per-round differences.',
  'Cold start: a fresh workerd (new Miniflare instance) is timed from the constructor to its first answered request, alternating the gateway bundle and the trivial Worker; workerd evaluates a Worker’s modules before it listens, so the difference of the medians is the gateway bundle’s evaluation cost in a fresh isolate.',
  'Limiter: a burst of concurrent requests (one connection each) against a tenant limit of requests per minute and, separately, of concurrent requests (upstream held 300 ms); then a sustained run at a fixed offered rate below the tenant’s limit, with the gateway’s workerd RSS read from /proc every second.',
  'The machine is shared and has 2 cores for the load generator, workerd, the stand-ins and the mock, so absolute figures include CPU contention; compare within a row.',
]

type Keys = { pass: string; full: string }

async function nonStreaming(
  bench: Bench,
  keys: Keys
): Promise<{ rows: Row[]; section: { title: string; lines: string[] }; results: Interleaved }> {
  const reference = referenceTargets(bench, NON_STREAMING_MODEL)
  const pass = gatewayTarget(bench, 'gateway pass-through', keys.pass, NON_STREAMING_MODEL)
  const full = gatewayTarget(bench, 'gateway full', keys.full, NON_STREAMING_MODEL)
  const targets = [reference.direct, reference.trivial, pass, full, reference.portkey]
  log('warming up')
  await warmUp(targets, plan.secondsPerRun)
  log(
    `non-streaming: ${plan.rounds} rounds x ${targets.length} targets x ${CONCURRENCY.join('/')} connections`
  )
  const results = await interleave({
    targets,
    connections: CONCURRENCY,
    rounds: plan.rounds,
    seconds: plan.secondsPerRun,
    onRun: (name, connections, figures) =>
      log(
        `  ${name} @${connections}: p50 ${ms(figures.p50)}, ${figures.throughput.toFixed(0)} req/s`
      ),
  })
  const added = (target: Target, base: Target, c: number, pick: (f: RoundFigures) => number) =>
    addedMedian(results, target.name, base.name, c, pick)
  const p50 = (f: RoundFigures) => f.p50
  const p99 = (f: RoundFigures) => f.p99
  const closedLoop = (f: RoundFigures) => f.closedLoopMean
  const rows: Row[] = []
  for (const c of CONCURRENCY) {
    rows.push({
      figure: `Runtime alone (trivial Worker) vs direct, ${c} conn: added p50 / p99`,
      value: `${ms(added(reference.trivial, reference.direct, c, p50))} / ${ms(added(reference.trivial, reference.direct, c, p99))}`,
      target: 'for reference',
      verdict: 'info',
    })
  }
  for (const c of CONCURRENCY) {
    const addedP50 = added(pass, reference.trivial, c, p50)
    const addedP99 = added(pass, reference.trivial, c, p99)
    rows.push(
      {
        figure: `Pass-through vs trivial Worker, ${c} conn: added p50`,
        value: `${ms(addedP50)} (closed-loop mean ${ms(added(pass, reference.trivial, c, closedLoop))})`,
        target: '<= 0.5 ms',
        verdict: verdict(addedP50 <= 0.5),
      },
      {
        figure: `Pass-through vs trivial Worker, ${c} conn: added p99`,
        value: ms(addedP99),
        target: '<= 2 ms',
        verdict: verdict(addedP99 <= 2),
      }
    )
  }
  for (const c of CONCURRENCY) {
    const addedP50 = added(full, reference.trivial, c, p50)
    rows.push({
      figure: `Full profile vs trivial Worker, ${c} conn: added p50 (p99)`,
      value: `${ms(addedP50)} (${ms(added(full, reference.trivial, c, p99))})`,
      target: '<= 3 ms p50',
      verdict: verdict(addedP50 <= 3),
    })
  }
  for (const c of CONCURRENCY) {
    const ours = {
      p50: added(pass, reference.direct, c, p50),
      p99: added(pass, reference.direct, c, p99),
    }
    const theirs = {
      p50: added(reference.portkey, reference.direct, c, p50),
      p99: added(reference.portkey, reference.direct, c, p99),
    }
    rows.push({
      figure: `Pass-through vs Portkey, ${c} conn: added over direct p50 / p99`,
      value: `ours ${ms(ours.p50)} / ${ms(ours.p99)}; Portkey ${ms(theirs.p50)} / ${ms(theirs.p99)}`,
      target: 'ours <= Portkey at both',
      verdict: verdict(ours.p50 <= theirs.p50 && ours.p99 <= theirs.p99),
    })
  }
  const throughput = (target: Target) => roundMedian(results, target.name, 16, (f) => f.throughput)
  rows.push({
    figure: 'Throughput at 16 conn: pass-through vs Portkey',
    value: `ours ${throughput(pass).toFixed(0)} req/s; Portkey ${throughput(reference.portkey).toFixed(0)} req/s (direct ${throughput(reference.direct).toFixed(0)}, trivial ${throughput(reference.trivial).toFixed(0)}, full ${throughput(full).toFixed(0)})`,
    target: 'ours >= Portkey',
    verdict: verdict(throughput(pass) >= throughput(reference.portkey)),
  })
  const lines = [
    '| Target | Conn | p50 | p99 | closed-loop mean | req/s | failed requests |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const target of targets) {
    for (const c of CONCURRENCY) {
      const med = (pick: (f: RoundFigures) => number) => roundMedian(results, target.name, c, pick)
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
    `Medians over ${plan.rounds} rounds of ${plan.secondsPerRun} s per target and concurrency.`
  )
  lines.push('', ...(await selfReported(pass, full)))
  return { rows, section: { title: 'Non-streaming, per target', lines }, results }
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

async function streamingFigures(
  bench: Bench,
  passKey: string
): Promise<{ rows: Row[]; section: { title: string; lines: string[] } }> {
  const reference = referenceTargets(bench, STREAM_MODEL)
  const gateway = gatewayTarget(bench, 'gateway pass-through', passKey, `mock/${STREAM_MODEL}`)
  const targets = [reference.direct, reference.trivial, gateway, reference.portkey].map((t) => ({
    ...t,
    body: chatBody(t.model, 0, true),
  }))
  log(`streaming: ${plan.streamRounds} rounds x ${plan.streamsPerRound} streams per target`)
  const results = await streamRounds(targets, plan.streamRounds, plan.streamsPerRound)
  const get = (target: Target): StreamSeries =>
    results.get(target.name) ?? { firstFrame: [], total: [], failures: [] }
  const direct = get(reference.direct)
  const trivial = get(reference.trivial)
  const ours = get(gateway)
  const portkey = get(reference.portkey)
  const ttftOverTrivial = addedPerRound(ours.firstFrame, trivial.firstFrame)
  const attempts = plan.streamRounds * plan.streamsPerRound
  const rows: Row[] = [
    {
      figure: 'Streaming: added time to first token, gateway vs trivial Worker (p50)',
      value: ms(ttftOverTrivial),
      target: '<= 1 ms',
      verdict: verdict(ttftOverTrivial <= 1),
    },
    {
      figure: 'Streaming: added TTFT over direct, trivial / gateway (p50)',
      value: `${ms(addedPerRound(trivial.firstFrame, direct.firstFrame))} / ${ms(addedPerRound(ours.firstFrame, direct.firstFrame))}`,
      target: 'for reference',
      verdict: 'info',
    },
    {
      figure:
        'Streaming: added total time (200 tokens x 5 ms) over direct, trivial / gateway (p50)',
      value: `${ms(addedPerRound(trivial.total, direct.total))} / ${ms(addedPerRound(ours.total, direct.total))}`,
      target: 'for reference',
      verdict: 'info',
    },
    {
      figure: 'Streaming through Portkey',
      value:
        portkey.failures.length === 0
          ? `added TTFT ${ms(addedPerRound(portkey.firstFrame, direct.firstFrame))}`
          : `${portkey.failures.length} of ${attempts} streams failed (${portkeyError(bench, portkey)})`,
      target: 'for reference',
      verdict: 'info',
    },
  ]
  const lines = [
    '| Target | TTFT p50 | total p50 | failed |',
    '| --- | --- | --- | --- |',
    ...[reference.direct, reference.trivial, gateway, reference.portkey].map((target) => {
      const series = get(target)
      return `| ${target.name} | ${ms(median(series.firstFrame))} | ${ms(median(series.total))} | ${series.failures.length} of ${attempts} |`
    }),
  ]
  const failures = [...results.values()].flatMap((series) => series.failures)
  if (failures.length > 0) lines.push('', `First failure: \`${failures[0]}\``)
  return { rows, section: { title: 'Streaming, per target', lines } }
}

/** Portkey answers a failed stream with a generic message; the cause is in its log. */
function portkeyError(bench: Bench, series: StreamSeries): string {
  const logged = /TypeError: [^\n]+/.exec(bench.portkey.stderrTail())?.[0]
  return logged ? `Portkey logged \`${logged.trim()}\`` : `\`${series.failures[0] ?? ''}\``
}

async function coldStartFigures(bench: Bench): Promise<Row[]> {
  log(`cold start: ${plan.coldSamples} fresh workerd starts per bundle`)
  const timing = await coldStart(
    { bundle: bench.bundles.gateway, vars: bench.gatewayVars, path: '/healthz' },
    { bundle: bench.bundles.trivial, vars: bench.trivialVars, path: '/healthz' },
    plan.coldSamples
  )
  const size = bench.bundleSize
  return [
    {
      figure: 'Bundle size (wrangler deploy --dry-run), gzip',
      value: `${(size.gzipBytes / KIB).toFixed(1)} KiB (raw ${(size.rawBytes / KIB).toFixed(1)} KiB)`,
      target: '<= 64 KiB gzip',
      verdict: verdict(size.gzipBytes <= 64 * KIB),
    },
    {
      figure:
        'Cold start: bundle evaluation in a fresh isolate (gateway minus trivial Worker startup)',
      value: `${ms(timing.gatewayMs - timing.trivialMs)} (gateway ${ms(timing.gatewayMs)}, trivial ${ms(timing.trivialMs)}, medians of ${timing.samples})`,
      target: 'for reference',
      verdict: 'info',
    },
  ]
}

async function cacheFigures(bench: Bench): Promise<Row[]> {
  log(`cache: ${plan.cacheSamples} misses, exact hits and semantic hits, interleaved`)
  const key = await createTenantKey(bench.gateway.url, bench.adminToken, 'cache', {
    cache: CACHE_ON,
  })
  const figures = await cacheHits(
    gatewayTarget(bench, 'gateway cache', key, NON_STREAMING_MODEL),
    plan.cacheSamples
  )
  const outcome = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([status, count]) => `${status} ${count}`)
      .join(', ')
  return [
    {
      figure: 'Cache: exact hit, end-to-end p50',
      value: `${ms(figures.exactP50)} (miss ${ms(figures.missP50)}; hit/miss ${(figures.exactP50 / figures.missP50).toFixed(2)})`,
      target: '<= 2 ms',
      verdict: verdict(figures.exactP50 <= 2),
    },
    {
      figure: 'Cache: semantic hit, end-to-end p50',
      value: `${ms(figures.semanticP50)} (hit/miss ${(figures.semanticP50 / figures.missP50).toFixed(2)})`,
      target: 'for reference',
      verdict: 'info',
    },
    {
      figure: 'Cache: how the requests were answered (x-cache)',
      value: `miss: ${outcome(figures.outcomes.miss)}; exact: ${outcome(figures.outcomes.exact)}; semantic: ${outcome(figures.outcomes.semantic)}`,
      target: 'for reference',
      verdict: 'info',
    },
  ]
}

async function limiterFigures(bench: Bench): Promise<Row[]> {
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
  const flat =
    steady.rssStartBytes !== undefined &&
    steady.rssEndBytes !== undefined &&
    steady.rssEndBytes <= steady.rssStartBytes * 1.1
  const burstRow = (label: string, result: typeof perMinute): Row => ({
    figure: `Limiter: ${plan.burst} concurrent requests, ${label} limit ${plan.burstLimit}`,
    value: `${result.admitted} admitted, ${result.refused} refused (429), ${result.other} other`,
    target: `exactly ${plan.burstLimit} admitted`,
    verdict: verdict(result.admitted === plan.burstLimit && result.other === 0),
  })
  return [
    burstRow('requests-per-minute', perMinute),
    burstRow('concurrency', concurrent),
    {
      figure: `Limiter: sustained ${steady.seconds} s at ${steady.rate} req/s (limit ${steadyLimit}/min)`,
      value: `${steady.answered} answered, ${steady.failures} errors or refusals (${Object.entries(
        steady.statuses
      )
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')})`,
      target: 'zero errors',
      verdict: verdict(steady.failures === 0 && steady.answered > 0),
    },
    {
      figure: 'Limiter: workerd RSS during the sustained run (start / end / max)',
      value: `${mib(steady.rssStartBytes)} / ${mib(steady.rssEndBytes)} / ${mib(steady.rssMaxBytes)}`,
      target: 'flat (end <= start + 10%)',
      verdict: verdict(flat),
    },
  ]
}

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
