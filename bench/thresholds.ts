/**
 * Every target the benchmark checks, as data: the figure code computes a value and asks `judge`
 * for the Target and Result columns, so a target changes here and nowhere else. `source` says
 * who set it (the issue that asked for the figure, or the README's promise).
 */
import type { Row, Verdict } from './report.ts'

export type Threshold = {
  op: '<=' | '>=' | '='
  limit: number
  /** Printed after the limit: "ms", "KiB gzip", "x trivial Worker", "round trips". */
  unit: string
  source: 'issue 11' | 'issue 12' | 'README'
}

const ms = (op: Threshold['op'], limit: number, source: Threshold['source']): Threshold => ({
  op,
  limit,
  unit: 'ms',
  source,
})

export const THRESHOLDS = {
  // Issue 11, "Targets": the request-path rebuild is checked against these.
  fullOverPassUnderLatencyP50: ms('<=', 4, 'issue 11'),
  exactHitRedisRoundTrips: { op: '<=', limit: 1, unit: 'Redis round trips', source: 'issue 11' },
  exactHitIsolateRoundTrips: { op: '=', limit: 0, unit: 'round trips', source: 'issue 11' },
  exactHitVectorQueries: { op: '=', limit: 0, unit: 'Vector queries', source: 'issue 11' },
  passCpuOverTrivial: ms('<=', 0.5, 'issue 11'),
  fullCpuOverTrivialRatio: { op: '<=', limit: 2, unit: 'x trivial Worker', source: 'issue 11' },
  startupCpu: ms('<=', 10, 'issue 11'),
  bundleGzip: { op: '<=', limit: 64, unit: 'KiB gzip', source: 'issue 11' },
  // Issue 12: ours (pass-through) against Portkey's Worker build in the same runtime; the value
  // is ours minus theirs (throughput: ours over theirs).
  portkeyLatencyGap: ms('<=', 0, 'issue 12'),
  portkeyCpuGap: ms('<=', 0, 'issue 12'),
  portkeyThroughputRatio: { op: '>=', limit: 1, unit: 'x Portkey', source: 'issue 12' },
  portkeyTtftGap: ms('<=', 0, 'issue 12'),
  exactHitOverTrivialP50: ms('<=', 0.3, 'issue 12'),
  // The README's promises about the relay itself.
  passOverTrivialP50: ms('<=', 0.5, 'README'),
  passOverTrivialP99: ms('<=', 2, 'README'),
  fullOverTrivialP50: ms('<=', 3, 'README'),
  streamTtftOverTrivial: ms('<=', 1, 'README'),
  // Guardrails: monitor mode holds nothing back, so the first token must not wait; every input
  // detector over a 200 KB prompt (about 16 ms in the unit test) within a stated CPU budget.
  guardrailsMonitorTtft: ms('<=', 1, 'README'),
  guardrailsDetectorsCpu200Kb: ms('<=', 25, 'README'),
  // Admitted minus the limit: exactly the limit gets in, under any burst.
  limiterExcess: { op: '=', limit: 0, unit: 'admitted beyond the limit', source: 'README' },
  sustainedErrors: { op: '=', limit: 0, unit: 'errors', source: 'README' },
  rssGrowth: { op: '<=', limit: 10, unit: '% growth', source: 'README' },
} as const satisfies Record<string, Threshold>

/** The Target text of a threshold, e.g. "<= 0.5 ms (issue 11)". */
export function describe(threshold: Threshold): string {
  return `${threshold.op} ${threshold.limit} ${threshold.unit} (${threshold.source})`
}

/** Target and Result of a value against a threshold; NaN (nothing measured) is "not measured". */
export function judge(
  threshold: Threshold,
  value: number
): Pick<Row, 'target' | 'verdict' | 'source'> {
  const met =
    threshold.op === '<='
      ? value <= threshold.limit
      : threshold.op === '>='
        ? value >= threshold.limit
        : value === threshold.limit
  const verdict: Verdict = Number.isNaN(value) ? 'not measured' : met ? 'pass' : 'miss'
  return { target: describe(threshold), verdict, source: threshold.source }
}

/** For rows that report without a target. */
export const INFO: Pick<Row, 'target' | 'verdict'> = { target: 'for reference', verdict: 'info' }
