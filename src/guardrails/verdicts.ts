/**
 * @module
 * What the checks decided, without any of the content they looked at: for the
 * `x-gateway-guardrails` header, the `x_gateway.guardrails` body field, the final `guardrails`
 * stream frame, metering and the log line.
 */
import { GatewayError } from '../errors'
import { headerValue } from '../lib/header-value'

export type Side = 'input' | 'output'

export type Verdict = {
  check: string
  type: string
  side: Side
  /** pass; flagged (monitor); redacted; blocked; error (a call-out failed, open mode passed it). */
  verdict: 'pass' | 'flagged' | 'redacted' | 'blocked' | 'error' | 'pending'
  /** Findings (spans, breached caps, flagged categories). */
  count?: number
  /** The injection score. */
  score?: number
  /** Time a call-out took. */
  ms?: number
}

export const GUARDRAILS_HEADER = 'x-gateway-guardrails'

/** `name;side=input;verdict=redacted;count=2, ...`: one entry per check run, in policy order. */
export function verdictHeader(verdicts: readonly Verdict[]): string {
  return headerValue(
    verdicts
      .map((v) => {
        let entry = `${v.check};side=${v.side};verdict=${v.verdict}`
        if (v.count !== undefined) entry += `;count=${v.count}`
        if (v.score !== undefined) entry += `;score=${v.score}`
        if (v.ms !== undefined) entry += `;ms=${Math.round(v.ms)}`
        return entry
      })
      .join(', ')
  )
}

/** Findings acted on or flagged, for the usage counters. */
export function findingCount(verdicts: readonly Verdict[]): number {
  return verdicts.filter((v) => v.verdict !== 'pass' && v.verdict !== 'pending').length
}

export function blocked(
  verdict: Verdict,
  verdicts: readonly Verdict[],
  status: 400 | 422
): GatewayError {
  return new GatewayError(
    status,
    `Blocked by guardrail ${verdict.check} (${verdict.type}) on the ${verdict.side}.`,
    {
      type: 'invalid_request_error',
      code: 'guardrail_blocked',
      param: verdict.side === 'input' ? 'messages' : null,
      headers: { [GUARDRAILS_HEADER]: verdictHeader(verdicts) },
    }
  )
}
