/**
 * The gateway over an Upstash-like network: two more gateway workerds whose Redis, Vector and
 * upstream URLs point at delaying proxies (bench/latency-proxy.ts). One request at a time, each
 * kind of request in turn; per request, the proxies tell which calls sat before the upstream
 * call (or before the answer, for a hit): the round trips on its critical path.
 */
import { timedFetch } from '../cache-hits.ts'
import {
  type CallKind,
  CallLog,
  type CriticalPath,
  criticalPath,
  type DelayingProxy,
  startDelayingProxy,
} from '../latency-proxy.ts'
import type { Row } from '../report.ts'
import type { RunningWorker } from '../runtime.ts'
import { gatewayTarget } from '../setup.ts'
import { mean, median } from '../stats.ts'
import { timeStream } from '../streaming.ts'
import { INFO, judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, ms, NON_STREAMING_MODEL, signedMs } from './group.ts'

/** Let the request's after-response writes (waitUntil) finish before the next one starts. */
const QUIET_MS = 15
const STREAM_MODEL = `mock/m:tokens=20,delay=1`

type Probe = {
  name: string
  /** 'A' answers most; 'B' is another isolate on the same stores (its own isolate copies). */
  gateway: 'A' | 'B'
  key: 'pass' | 'full'
  question: (sample: number) => string
  stream?: boolean
  /** The `x-cache` an answer must carry to count (a hit that missed is not a hit's figure). */
  expect?: string
}

type ProbeResult = { ms: number[]; paths: CriticalPath[]; outcomes: Map<string, number> }

export const upstashGroup: Group = {
  name: 'upstash',
  async run({ bench, plan, keys, log }: Context) {
    const { redisMs, vectorMs } = plan.latency
    const calls = new CallLog()
    const proxies: DelayingProxy[] = []
    const gateways: RunningWorker[] = []
    try {
      const proxy = async (kind: CallKind, url: string, delay: number) => {
        const started = await startDelayingProxy(kind, url, delay, calls)
        proxies.push(started)
        return started.url
      }
      const overrides = {
        UPSTASH_REDIS_REST_URL: await proxy('redis', bench.stack.redis.url, redisMs),
        UPSTASH_VECTOR_REST_URL: await proxy('vector', bench.stack.vector.url, vectorMs),
        MOCK_PROVIDER_URL: await proxy('upstream', bench.stack.mockProviderUrl, 0),
      }
      const a = await bench.startGateway(overrides)
      gateways.push(a)
      const b = await bench.startGateway(overrides)
      gateways.push(b)
      const run = Date.now()
      const unique = (label: string) => (sample: number) =>
        `Latency benchmark ${run} ${label} ${sample}: answer in a few words.`
      // Mostly words of its own: questions sharing most words score as paraphrases with the
      // stand-in's hashed embedder, and a later miss would be answered by an earlier question.
      const cached = (sample: number) =>
        `${randomWords(sample, 8)} ${run} ${sample}: what does it mean?`
      const probes: Probe[] = [
        { name: 'pass-through', gateway: 'A', key: 'pass', question: unique('pass') },
        { name: 'full profile, miss', gateway: 'A', key: 'full', question: cached, expect: 'MISS' },
        {
          name: 'full, exact hit (isolate copy)',
          gateway: 'A',
          key: 'full',
          question: cached,
          expect: 'HIT',
        },
        {
          name: 'full, exact hit (from Redis: another isolate)',
          gateway: 'B',
          key: 'full',
          question: cached,
          expect: 'HIT',
        },
        {
          name: 'full, semantic hit',
          gateway: 'A',
          key: 'full',
          question: (sample) => cached(sample).toUpperCase().replace('?', '!'),
          expect: 'SEMANTIC-HIT',
        },
        {
          name: 'pass-through, streamed',
          gateway: 'A',
          key: 'pass',
          question: unique('pass-stream'),
          stream: true,
        },
        {
          name: 'full profile, streamed miss',
          gateway: 'A',
          key: 'full',
          question: unique('full-stream'),
          stream: true,
        },
      ]
      const results = new Map<string, ProbeResult>(
        probes.map((probe) => [probe.name, { ms: [], paths: [], outcomes: new Map() }])
      )
      const ask = async (probe: Probe, sample: number) => {
        const worker = probe.gateway === 'A' ? a : b
        const model = probe.stream ? STREAM_MODEL : NON_STREAMING_MODEL
        const target = gatewayTarget(bench, probe.name, keys[probe.key], model, worker)
        const body = JSON.stringify({
          model,
          messages: [{ role: 'user', content: probe.question(sample) }],
          ...(probe.stream ? { stream: true } : {}),
        })
        await calls.quiet(QUIET_MS)
        const started = performance.now()
        const answer = probe.stream
          ? await streamed(target.url, target.headers, body)
          : await complete(target, body)
        await calls.quiet(QUIET_MS)
        const result = results.get(probe.name)
        if (!result) return
        result.outcomes.set(answer.outcome, (result.outcomes.get(answer.outcome) ?? 0) + 1)
        if (probe.expect !== undefined && answer.outcome !== probe.expect) return
        if (Number.isNaN(answer.ms)) return
        result.ms.push(answer.ms)
        result.paths.push(criticalPath(calls, started, answer.headersAt))
      }
      log(
        `upstash: +${redisMs} ms per Redis call, +${vectorMs} ms per Vector call; ${plan.latencySamples} samples x ${probes.length} kinds`
      )
      // Warm both isolates (JIT, key caches) before anything counts.
      for (let sample = -3; sample < 0; sample += 1) {
        for (const probe of probes) await ask(probe, sample)
      }
      for (const result of results.values()) {
        result.ms.length = 0
        result.paths.length = 0
        result.outcomes.clear()
      }
      for (let sample = 0; sample < plan.latencySamples; sample += 1) {
        for (const probe of probes) await ask(probe, sample)
      }
      return report(results, probes, plan.latency, plan.latencySamples)
    } finally {
      for (const gateway of gateways) await gateway.close().catch(() => {})
      for (const started of proxies) await started.close().catch(() => {})
    }
  },
}

/** Words made of letters drawn from the sample number: the same sample gives the same words. */
function randomWords(sample: number, count: number): string {
  let state = (sample + 1) >>> 0
  const letter = () => {
    // A 32-bit linear congruential step; its high bits are the random-looking ones.
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    return String.fromCharCode(97 + ((state >>> 16) % 26))
  }
  return Array.from({ length: count }, () => Array.from({ length: 6 }, letter).join('')).join(' ')
}

type Answer = { ms: number; headersAt: number; outcome: string }

async function complete(
  target: { url: string; headers: Record<string, string> },
  body: string
): Promise<Answer> {
  const { ms, headersAt, response } = await timedFetch(target, body)
  return {
    ms,
    headersAt,
    outcome: response.ok ? (response.headers.get('x-cache') ?? 'none') : `HTTP ${response.status}`,
  }
}

/** A stream's figure is its time to first token. */
async function streamed(
  url: string,
  headers: Record<string, string>,
  body: string
): Promise<Answer> {
  const timing = await timeStream(url, headers, body)
  return timing.ok
    ? { ms: timing.firstFrameMs, headersAt: timing.headersAt, outcome: 'streamed' }
    : { ms: Number.NaN, headersAt: Number.NaN, outcome: timing.error.slice(0, 40) }
}

function report(
  results: Map<string, ProbeResult>,
  probes: Probe[],
  latency: { redisMs: number; vectorMs: number },
  samples: number
) {
  const get = (name: string): ProbeResult =>
    results.get(name) ?? { ms: [], paths: [], outcomes: new Map() }
  const p50 = (name: string) => median(get(name).ms)
  const pathMedian = (name: string, pick: (path: CriticalPath) => number) =>
    median(get(name).paths.map(pick))
  const [pass, miss, isolateHit, redisHit, semantic, passStream, fullStream] = probes.map(
    (probe) => probe.name
  ) as [string, string, string, string, string, string, string]
  const fullOverPass = p50(miss) - p50(pass)
  const hitVector = Math.max(
    ...[isolateHit, redisHit].map((name) =>
      Math.max(0, ...get(name).paths.map((p) => p.totalVector))
    )
  )
  const rows: Row[] = [
    {
      figure: `Upstash-like latency (+${latency.redisMs} ms Redis, +${latency.vectorMs} ms Vector): full profile minus pass-through, p50`,
      value: `${ms(fullOverPass)} (full ${ms(p50(miss))}, pass-through ${ms(p50(pass))})`,
      ...judge(THRESHOLDS.fullOverPassUnderLatencyP50, fullOverPass),
    },
    {
      figure:
        'Upstash-like latency: exact hit held by the isolate, round trips before the answer (median)',
      value: `${pathMedian(isolateHit, (p) => p.redis + p.vector)} (Redis ${pathMedian(isolateHit, (p) => p.redis)}, Vector ${pathMedian(isolateHit, (p) => p.vector)}); p50 ${ms(p50(isolateHit))}`,
      ...judge(
        THRESHOLDS.exactHitIsolateRoundTrips,
        pathMedian(isolateHit, (p) => p.redis + p.vector)
      ),
    },
    {
      figure:
        'Upstash-like latency: exact hit from Redis (another isolate), Redis round trips before the answer (median)',
      value: `${pathMedian(redisHit, (p) => p.redis)} in ${pathMedian(redisHit, (p) => p.redisWaves)} sequential waves; p50 ${ms(p50(redisHit))}`,
      ...judge(
        THRESHOLDS.exactHitRedisRoundTrips,
        pathMedian(redisHit, (p) => p.redis)
      ),
    },
    {
      figure:
        'Upstash-like latency: Vector queries sent for an exact hit (most in any one request)',
      value: String(hitVector),
      ...judge(THRESHOLDS.exactHitVectorQueries, hitVector),
    },
    {
      figure: 'Upstash-like latency: semantic hit p50, and minus pass-through',
      value: `${ms(p50(semantic))} (${signedMs(p50(semantic) - p50(pass))})`,
      ...INFO,
    },
    {
      figure:
        'Upstash-like latency: streamed full-profile TTFT p50, and minus streamed pass-through',
      value: `${ms(p50(fullStream))} (${signedMs(p50(fullStream) - p50(passStream))})`,
      ...INFO,
    },
  ]
  const outcome = (name: string) =>
    [...get(name).outcomes.entries()].map(([status, count]) => `${status} ${count}`).join(', ')
  const lines = [
    '| Request | p50 (streams: TTFT) | Redis calls before upstream / answer (sequential) | Vector calls before | waves (all calls) | Redis calls in all (mean) | Vector calls in all (mean) | answered as |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...probes.map(({ name }) => {
      const paths = get(name).paths
      return `| ${name} | ${ms(p50(name))} | ${pathMedian(name, (p) => p.redis)} (${pathMedian(name, (p) => p.redisWaves)}) | ${pathMedian(name, (p) => p.vector)} | ${pathMedian(name, (p) => p.waves)} | ${mean(paths.map((p) => p.totalRedis)).toFixed(1)} | ${mean(paths.map((p) => p.totalVector)).toFixed(1)} | ${outcome(name)} |`
    }),
    '',
    `${samples} samples per kind after 3 warm-up rounds; medians of the counts. A request only counts when it was answered as its kind (the "answered as" column).`,
  ]
  return {
    title: 'Over an Upstash-like network',
    rows,
    method: [
      `The gateway in two more workerds (A and B, same stores) whose Redis, Vector and upstream URLs point at delaying proxies in the benchmark process: +${latency.redisMs} ms per Redis REST request and +${latency.vectorMs} ms per Vector request (query and upsert), typical of a same-region Upstash database from a Worker (\`--redis-delay-ms\`, \`--vector-delay-ms\`); the upstream proxy adds nothing and only records when the call arrives.`,
      'One request at a time, the kinds in turn: pass-through, full-profile miss of a new question, the same question again (exact hit; A holds the answer in its isolate copy), the same question to B (its isolate never saw it: the hit comes from Redis), the question reworded (semantic hit), and a streamed pass-through and full-profile miss (TTFT). Before and after each request the proxies must be idle for 15 ms, so the after-response writes of one request are not counted in the next.',
      'Round trips: the Redis and Vector requests that started after the request was sent and before the upstream received its call (for a hit: before the response headers arrived); overlapping calls form one wave, one round trip of waiting. "in all" adds what was sent after the answer (waitUntil).',
      'Round-trip counts are deterministic for a given code path (stable anywhere; a stale key-cache entry, every 5 s per key and isolate, adds its lookups once, which the medians ignore). Latencies are dominated by the added delays, so they are steadier than the loopback figures, but still include the local stand-ins’ CPU (the Vector stand-in embeds and scans on the same cores).',
    ],
    sections: [{ title: 'Over an Upstash-like network, per kind of request', lines }],
  }
}
