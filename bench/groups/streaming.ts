/**
 * Streamed completions from the client's side: time to first token, total time, and the jitter
 * a reader sees between frames, against direct, the trivial Worker and Portkey in both runtimes.
 */
import { chatBody, type Target } from '../overhead.ts'
import type { Row } from '../report.ts'
import { type Bench, gatewayTarget, referenceTargets } from '../setup.ts'
import { ascending, median, percentile } from '../stats.ts'
import { addedPerRound, emptySeries, type StreamSeries, streamRounds } from '../streaming.ts'
import { INFO, judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, ms } from './group.ts'

/** 200 tokens, 5 ms apart; the gateway addresses the mock provider directly by name. */
export const STREAM_MODEL = 'm:tokens=200,delay=5'

export const streamingGroup: Group = {
  name: 'streaming',
  async run({ bench, plan, keys, log }: Context) {
    const reference = referenceTargets(bench, STREAM_MODEL)
    const gateway = gatewayTarget(bench, 'gateway pass-through', keys.pass, `mock/${STREAM_MODEL}`)
    const listed = [
      reference.direct,
      reference.trivial,
      gateway,
      reference.portkey,
      reference.portkeyWorker,
    ].filter((target): target is Target => target !== undefined)
    log(`streaming: ${plan.streamRounds} rounds x ${plan.streamsPerRound} streams per target`)
    const results = await streamRounds(
      listed.map((target) => ({ ...target, body: chatBody(target.model, 0, true) })),
      plan.streamRounds,
      plan.streamsPerRound
    )
    const get = (target: Target | undefined): StreamSeries =>
      (target && results.get(target.name)) || emptySeries()
    const direct = get(reference.direct)
    const trivial = get(reference.trivial)
    const ours = get(gateway)
    const attempts = plan.streamRounds * plan.streamsPerRound
    const p99Gap = (series: StreamSeries) => percentile(ascending(series.gaps), 0.99)
    const ttftOverTrivial = addedPerRound(ours.firstFrame, trivial.firstFrame)
    const sameRuntime = get(reference.portkeyWorker)
    const ttftGap = reference.portkeyWorker
      ? addedPerRound(ours.firstFrame, sameRuntime.firstFrame)
      : Number.NaN
    const rows: Row[] = [
      {
        figure: 'Streaming: added time to first token, gateway vs trivial Worker (p50)',
        value: ms(ttftOverTrivial),
        ...judge(THRESHOLDS.streamTtftOverTrivial, ttftOverTrivial),
      },
      {
        figure: 'Streaming: added TTFT over direct, trivial / gateway (p50)',
        value: `${ms(addedPerRound(trivial.firstFrame, direct.firstFrame))} / ${ms(addedPerRound(ours.firstFrame, direct.firstFrame))}`,
        ...INFO,
      },
      {
        figure:
          'Streaming: added total time (200 tokens x 5 ms) over direct, trivial / gateway (p50)',
        value: `${ms(addedPerRound(trivial.total, direct.total))} / ${ms(addedPerRound(ours.total, direct.total))}`,
        ...INFO,
      },
      {
        figure: 'Streaming: TTFT, gateway minus Portkey (workerd) (p50 of per-round differences)',
        value: reference.portkeyWorker
          ? `${ms(ttftGap)} (Portkey (workerd) TTFT ${ms(median(sameRuntime.firstFrame))}, total ${ms(median(sameRuntime.total))}; it sleeps 25 ms before its first frame, see its README)`
          : 'Portkey Worker bundle not found',
        ...judge(THRESHOLDS.portkeyTtftGap, ttftGap),
      },
      {
        figure: 'Streaming through Portkey (Node)',
        value: portkeyNode(bench, get(reference.portkey), direct, attempts),
        ...INFO,
      },
      {
        figure: 'Streaming jitter: p99 inter-frame gap minus direct’s, trivial / gateway',
        value: `${ms(p99Gap(trivial) - p99Gap(direct))} / ${ms(p99Gap(ours) - p99Gap(direct))} (direct p99 gap ${ms(p99Gap(direct))}, mock sends every 5 ms)`,
        ...INFO,
      },
    ]
    const lines = [
      '| Target | TTFT p50 | total p50 | inter-frame gap p50 / p99 | failed |',
      '| --- | --- | --- | --- | --- |',
      ...listed.map((target) => {
        const series = get(target)
        const gaps = ascending(series.gaps)
        return `| ${target.name} | ${ms(median(series.firstFrame))} | ${ms(median(series.total))} | ${ms(percentile(gaps, 0.5))} / ${ms(percentile(gaps, 0.99))} | ${series.failures.length} of ${attempts} |`
      }),
    ]
    const failures = [...results.values()].flatMap((series) => series.failures)
    if (failures.length > 0) lines.push('', `First failure: \`${failures[0]}\``)
    return {
      title: 'Streaming',
      rows,
      method: [
        'A small client (fetch + reader) times the first SSE data frame and the end of a 200-token stream with 5 ms between tokens, one stream at a time, round-robin over the targets; per-round medians, then medians of per-round differences.',
        'Jitter: the gap between consecutive reads that carry a data frame, over every stream of a target; the p99 gap minus the direct stream’s p99 gap is what the relay adds to the worst stalls a reader sees (frames the relay coalesces show as a longer gap followed by none).',
        'TTFT is moderately stable (one stream at a time, only the relay’s work is on the path); totals are dominated by the mock’s 1 s of pacing, so their differences are small against it. Jitter p99 is tail-sensitive and moves with machine load.',
      ],
      sections: [{ title: 'Streaming, per target', lines }],
    }
  },
}

/** Portkey's Node build answers a failed stream with a generic message; the cause is in its log. */
function portkeyNode(
  bench: Bench,
  series: StreamSeries,
  direct: StreamSeries,
  attempts: number
): string {
  if (series.failures.length === 0) {
    return `added TTFT ${ms(addedPerRound(series.firstFrame, direct.firstFrame))}`
  }
  const logged = /TypeError: [^\n]+/.exec(bench.portkey.stderrTail())?.[0]
  const cause = logged ? `Portkey logged \`${logged.trim()}\`` : `\`${series.failures[0] ?? ''}\``
  return `${series.failures.length} of ${attempts} streams failed (${cause}; probably its patch-package postinstall, which npm does not run for a dependency)`
}
