/**
 * What guardrails cost where it is felt: the time to first token of a stream with an output check
 * in `monitor` and in `window` mode against the same stream without guardrails, side by side in
 * the same rounds; and the CPU of a 200 KB prompt through every input detector against the same
 * prompt through pass-through, accounted as in the CPU group.
 */
import { type CpuSubject, cpuAdded, cpuMedian, cpuRuns } from '../cpu-runs.ts'
import { chatBody, type Target } from '../overhead.ts'
import type { Row } from '../report.ts'
import { gatewayTarget } from '../setup.ts'
import { median } from '../stats.ts'
import { addedPerRound, emptySeries, type StreamSeries, streamRounds } from '../streaming.ts'
import { createTenantKey, type TenantConfig } from '../tenants.ts'
import { INFO, judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, ms, NON_STREAMING_MODEL, signedMs } from './group.ts'
import { STREAM_MODEL } from './streaming.ts'

const WINDOW_CHARS = 64

/** The same output check in two stream modes: only where the verdict is taken differs. */
const outputCheck = (mode: 'monitor' | 'window'): TenantConfig => ({
  guardrails: {
    checks: [
      {
        name: 'pii-out',
        type: 'pii',
        side: 'output',
        action: 'redact',
        stream_mode: mode,
        window_chars: WINDOW_CHARS,
      },
    ],
  },
})

/** Every input detector, none refusing this prompt: each scans all of it, PII is redacted. */
const EVERY_DETECTOR: TenantConfig = {
  guardrails: {
    checks: [
      {
        name: 'size',
        type: 'size',
        max_messages: 100,
        max_chars: 1_000_000,
        max_prompt_tokens: 1_000_000,
        max_tokens: 4096,
        default_max_tokens: 256,
        action: 'redact',
      },
      {
        name: 'words',
        type: 'deny',
        terms: ['project falcon', 'internal only', 'do not forward'],
        patterns: ['acme-[0-9]{4}', '\\bsecret\\s+project\\b', '[A-Z]{3}-\\d{6}'],
        action: 'redact',
      },
      { name: 'pii', type: 'pii', action: 'redact' },
      { name: 'injection', type: 'injection', threshold: 0.5 },
    ],
  },
}

const PROMPT_BYTES = 200_000

/**
 * About 200 KB of support-ticket prose: hard negatives for every detector (order numbers,
 * version strings, dates, hex ids) with real findings every few lines, unique per request.
 */
function largePrompt(sequence: number): string {
  const lines = [
    'Order 1234-5678-9012-3456 shipped on 2026-11-30 with build v10.2.3.4; see ticket 0x7f3a9c.',
    'The customer wrote from jane.doe@example.com and asked us to call (415) 555-1234 after 5pm.',
    'Payment retried with card 4111 1111 1111 1111, refund to IBAN GB82 WEST 1234 5698 7654 32.',
    'Server 10.0.12.7 and 2001:db8::1 logged the acme-2044 rollout; the key sk-test is expired.',
    'Nothing else stands out in this paragraph about delivery windows, parcels and weekday hours.',
  ]
  let text = `Ticket batch ${sequence}.\n`
  for (let i = 0; text.length < PROMPT_BYTES; i++) text += `${lines[i % lines.length]}\n`
  return text
}

export const guardrailsGroup: Group = {
  name: 'guardrails',
  async run({ bench, plan, keys, log }: Context) {
    const tenant = (name: string, config: TenantConfig) =>
      createTenantKey(bench.gateway.url, bench.adminToken, name, config)
    const streamed = (name: string, key: string) =>
      gatewayTarget(bench, name, key, `mock/${STREAM_MODEL}`)
    const none = streamed('no guardrails', keys.pass)
    const monitor = streamed(
      'output PII check, monitor',
      await tenant('ttft-monitor', outputCheck('monitor'))
    )
    const window = streamed(
      `output PII check, window ${WINDOW_CHARS} chars`,
      await tenant('ttft-window', outputCheck('window'))
    )
    const listed = [none, monitor, window]
    log(`guardrails: ${plan.streamRounds} rounds x ${plan.streamsPerRound} streams per target`)
    const series = await streamRounds(
      listed.map((target) => ({ ...target, body: chatBody(target.model, 0, true) })),
      plan.streamRounds,
      plan.streamsPerRound
    )
    const get = (target: Target): StreamSeries => series.get(target.name) ?? emptySeries()
    // To the first text: the role chunk goes out at once in every mode, the text is what waits.
    const ttft = (target: Target) => median(get(target).firstText)
    const monitorAdded = addedPerRound(get(monitor).firstText, get(none).firstText)
    const windowAdded = addedPerRound(get(window).firstText, get(none).firstText)
    const windowTotal = addedPerRound(get(window).total, get(none).total)

    // Fewer requests than the feature rows: each carries 200 KB and takes milliseconds of CPU.
    const requests = Math.ceil(plan.featureRequests / 3)
    const bigBody = (sequence: number) =>
      JSON.stringify({
        model: NON_STREAMING_MODEL,
        messages: [{ role: 'user', content: largePrompt(sequence) }],
      })
    const plain: Target = {
      ...gatewayTarget(bench, '200 KB prompt, pass-through', keys.pass, NON_STREAMING_MODEL),
      body: bigBody,
    }
    const guarded: Target = {
      ...gatewayTarget(
        bench,
        '200 KB prompt, every input detector',
        await tenant('every-detector', EVERY_DETECTOR),
        NON_STREAMING_MODEL
      ),
      body: bigBody,
    }
    const subjects: CpuSubject[] = [plain, guarded].map((target) => ({
      target,
      requests,
      connections: 1,
    }))
    log(`guardrails: ${plan.cpuRounds} rounds x 2 targets x ${requests} requests of 200 KB`)
    const cpu = await cpuRuns(bench, {
      subjects,
      rounds: plan.cpuRounds,
      idleMs: plan.idleMs,
      // JIT and GC settle over the first few dozen 200 KB requests: warm up longer than the rows.
      warmUpRequests: Math.ceil(requests / 3),
      onRun: (name, round) => log(`  ${name}: ${ms(round.servingMs)} CPU, p50 ${ms(round.p50)}`),
    })
    const detectorsCpu = cpuAdded(cpu, guarded.name, plain.name, (r) => r.servingMs)
    const detectorsP50 = cpuAdded(cpu, guarded.name, plain.name, (r) => r.p50)
    const failed = [...cpu.values()]
      .flatMap((s) => s.rounds)
      .reduce((n, round) => n + round.failures, 0)

    const rows: Row[] = [
      {
        figure: 'Guardrails: added TTFT, output PII check in monitor mode vs none (p50)',
        value: `${signedMs(monitorAdded)} (TTFT p50: none ${ms(ttft(none))}, monitor ${ms(ttft(monitor))})`,
        ...judge(THRESHOLDS.guardrailsMonitorTtft, monitorAdded),
      },
      {
        figure: `Guardrails: added TTFT, output PII check in window mode (${WINDOW_CHARS} chars) vs none (p50)`,
        value: `${signedMs(windowAdded)} (TTFT p50 ${ms(ttft(window))}; total ${signedMs(windowTotal)}): the first token waits for ${WINDOW_CHARS} characters of a stream that sends a word every 5 ms`,
        ...INFO,
      },
      {
        figure:
          'Guardrails: CPU of a 200 KB prompt through every input detector (size, deny list with patterns, every PII type, injection), minus pass-through',
        value: `${ms(detectorsCpu)}/request (p50 ${signedMs(detectorsP50)}; with guardrails ${ms(cpuMedian(cpu, guarded.name, (r) => r.servingMs))}, pass-through ${ms(cpuMedian(cpu, plain.name, (r) => r.servingMs))}; ${failed} failed)`,
        ...judge(THRESHOLDS.guardrailsDetectorsCpu200Kb, detectorsCpu),
      },
    ]
    const failures = [...series.values()].flatMap((s) => s.failures)
    const lines = [
      '| Stream | TTFT p50 | total p50 | failed |',
      '| --- | --- | --- | --- |',
      ...listed.map(
        (target) =>
          `| ${target.name} | ${ms(ttft(target))} | ${ms(median(get(target).total))} | ${get(target).failures.length} |`
      ),
      ...(failures.length > 0 ? ['', `First failure: \`${failures[0]}\``] : []),
    ]
    return {
      title: 'Guardrails',
      rows,
      method: [
        `Time to first token: the streaming group's client and stream (200 tokens, 5 ms apart), timed to the first frame with text in it (the role chunk before it goes out at once in every mode), round-robin over three tenants in the same rounds: pass-through, and one output PII check (action redact) in stream_mode monitor or window (${WINDOW_CHARS} chars); medians of per-round differences against pass-through.`,
        `CPU: ${requests} requests of a ${PROMPT_BYTES / 1000} KB user message (ticket prose with hard negatives and findings every few lines, unique per request) at one connection, ${plan.cpuRounds} round(s), to pass-through and to a tenant with size, deny (terms and patterns), PII (every type, redact) and injection checks; workerd CPU accounted as in the CPU group, median over rounds of the difference. The budget is in bench/thresholds.ts.`,
      ],
      sections: [{ title: 'Guardrails, per stream', lines }],
    }
  },
}
