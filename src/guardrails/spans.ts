/**
 * @module
 * Where a deny/allow list or a PII check matches in a text, as spans, shared by the input and
 * output sides. Compiled matchers are kept per check object, which lives as long as the cached
 * tenant config (see `effectiveChecks`): a request never recompiles a tenant's patterns.
 */
import { detectPii, PII_TYPES, type PiiType } from './pii'
import type { Check } from './settings'

export type Span = { start: number; end: number; type: string }

type ListCheck = Extract<Check, { type: 'deny' | 'allow' }>
type PiiCheck = Extract<Check, { type: 'pii' }>

const compiled = new WeakMap<object, RegExp[]>()

function matchers(check: ListCheck): RegExp[] {
  let regexes = compiled.get(check)
  if (regexes) return regexes
  regexes = (check.patterns ?? []).map((pattern) => new RegExp(pattern, 'gi'))
  if (check.terms && check.terms.length > 0) {
    const escaped = check.terms.map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    regexes.push(new RegExp(escaped.join('|'), 'gi'))
  }
  compiled.set(check, regexes)
  return regexes
}

export function listSpans(check: ListCheck, text: string): Span[] {
  const spans: Span[] = []
  for (const regex of matchers(check)) {
    for (const match of text.matchAll(regex)) {
      // An empty match marks nothing and would never advance past its own position.
      if (match[0] === '') continue
      spans.push({ start: match.index, end: match.index + match[0].length, type: check.type })
    }
  }
  return spans.sort((a, b) => a.start - b.start)
}

export function piiSpans(check: PiiCheck, text: string): Span[] {
  const types: readonly PiiType[] = check.entities ?? PII_TYPES
  return detectPii(text, types, check.min_confidence ?? 0.5)
}

/** Spans a check rewrites or flags on output (deny and PII; the others are input-only). */
export function outputSpans(check: Check, text: string): Span[] {
  if (check.type === 'deny') return listSpans(check, text)
  if (check.type === 'pii') return piiSpans(check, text)
  return []
}

/** Replaces non-overlapping spans (sorted by start) with what `replace` makes of each. */
export function replaceSpans(text: string, spans: Span[], replace: (span: Span) => string): string {
  let out = ''
  let at = 0
  for (const span of spans) {
    if (span.start < at) continue
    out += text.slice(at, span.start) + replace(span)
    at = span.end
  }
  return out + text.slice(at)
}

/** What a redacted span becomes in text a client or a log reader sees: its type, nothing of it. */
export function redactionMarker(span: Span): string {
  return `[REDACTED_${span.type.toUpperCase()}]`
}

/** Every PII and secret type the detectors know, at their default confidence, replaced. */
export function redactPii(text: string): string {
  return replaceSpans(text, detectPii(text), redactionMarker)
}
