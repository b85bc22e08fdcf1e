/**
 * Per-request behaviour controls, read from `x-mock-<key>` headers and from a model-name suffix
 * `<model>:key=value,key=value,flag` (the suffix wins). The suffix form exists because a gateway
 * addresses upstream models by name, so tests can steer the upstream without touching headers.
 */
import type { IncomingHttpHeaders } from 'node:http'

export type Controls = {
  /** ms before the first byte of the response. */
  ttft: number
  /** ms between streamed token chunks (non-streaming: per token, before the body). */
  delay: number
  /** Output length in tokens. */
  tokens?: number
  /** Answer with this HTTP error status in the dialect's error envelope. */
  status?: number
  /** Seconds for `retry-after` (429 sends 1 unless set). */
  retryAfter?: number
  /** Fail only the first N requests carrying the same tag, then succeed. */
  fail?: number
  /** Never respond. */
  hang: boolean
  /** Stream N content chunks, then cut the stream (OpenAI: socket destroyed; Anthropic: error event). */
  cut?: number
  /** Never report usage. */
  nousage: boolean
  /** The assistant text is the whole prompt, one `role: content` line per message. */
  echo: boolean
  /** A tool call's arguments are `{"echo": <the prompt as echo gives it>}`. */
  echoArgs: boolean
  /** A label to find requests in the log and to count `fail`. */
  tag?: string
  /** Moderation categories to flag, `+`-separated (`flag=violence+hate`). */
  flag?: string
}

const MAX_MS = 600_000
const MAX_COUNT = 1_000_000

type Spec =
  | { kind: 'integer'; field: IntegerField; min: number; max: number }
  | { kind: 'flag'; field: 'hang' | 'nousage' | 'echo' | 'echoArgs' }
  | { kind: 'label'; field: 'tag' | 'flag' }
type IntegerField = 'ttft' | 'delay' | 'tokens' | 'status' | 'retryAfter' | 'fail' | 'cut'

/** Control names as written in headers and suffixes, and what each accepts. */
const SPECS: Record<string, Spec> = {
  ttft: { kind: 'integer', field: 'ttft', min: 0, max: MAX_MS },
  delay: { kind: 'integer', field: 'delay', min: 0, max: MAX_MS },
  tokens: { kind: 'integer', field: 'tokens', min: 0, max: MAX_COUNT },
  status: { kind: 'integer', field: 'status', min: 400, max: 599 },
  retry_after: { kind: 'integer', field: 'retryAfter', min: 0, max: 86_400 },
  fail: { kind: 'integer', field: 'fail', min: 1, max: MAX_COUNT },
  cut: { kind: 'integer', field: 'cut', min: 0, max: MAX_COUNT },
  hang: { kind: 'flag', field: 'hang' },
  nousage: { kind: 'flag', field: 'nousage' },
  echo: { kind: 'flag', field: 'echo' },
  echo_args: { kind: 'flag', field: 'echoArgs' },
  tag: { kind: 'label', field: 'tag' },
  flag: { kind: 'label', field: 'flag' },
}

const HEADER_PREFIX = 'x-mock-'
export type ParsedControls =
  | { ok: true; model: string; controls: Controls }
  | { ok: false; error: string }

export function parseControls(model: string, headers: IncomingHttpHeaders): ParsedControls {
  const controls: Controls = {
    ttft: 0,
    delay: 0,
    hang: false,
    nousage: false,
    echo: false,
    echoArgs: false,
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(HEADER_PREFIX)) continue
    const key = name.slice(HEADER_PREFIX.length).replaceAll('-', '_')
    const error = apply(controls, key, Array.isArray(value) ? value.join(',') : (value ?? ''))
    if (error) return { ok: false, error: `header ${name}: ${error}` }
  }
  const split = splitModel(model)
  for (const item of split.suffix) {
    const eq = item.indexOf('=')
    const key = eq === -1 ? item : item.slice(0, eq)
    const error = apply(controls, key.trim(), eq === -1 ? '' : item.slice(eq + 1).trim())
    if (error) return { ok: false, error: `model suffix "${item}": ${error}` }
  }
  if (controls.fail !== undefined && controls.tag === undefined) {
    return { ok: false, error: 'fail counts requests by tag, so it needs tag=<label> too' }
  }
  return { ok: true, model: split.model, controls }
}

/**
 * The suffix is the part after the last ':' when it looks like controls (has a '=' or names a
 * control), so model names such as `llama3:8b` pass through untouched.
 */
export function splitModel(model: string): { model: string; suffix: string[] } {
  const colon = model.lastIndexOf(':')
  if (colon === -1) return { model, suffix: [] }
  const items = model
    .slice(colon + 1)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  const looksLikeControls = items.some((item) => item.includes('=') || Object.hasOwn(SPECS, item))
  return looksLikeControls ? { model: model.slice(0, colon), suffix: items } : { model, suffix: [] }
}

function apply(controls: Controls, key: string, raw: string): string | undefined {
  const spec = Object.hasOwn(SPECS, key) ? SPECS[key] : undefined
  if (!spec) return `unknown control "${key}" (known: ${Object.keys(SPECS).join(', ')})`
  if (spec.kind === 'flag') {
    const on = parseFlag(raw)
    if (on === undefined) return `"${key}" is a flag: leave the value out or use true/false/1/0`
    controls[spec.field] = on
  } else if (spec.kind === 'label') {
    if (raw === '' || raw.length > 200) return `"${key}" must be 1 to 200 characters`
    controls[spec.field] = raw
  } else {
    const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN
    if (!(value >= spec.min && value <= spec.max)) {
      return `"${key}" must be an integer from ${spec.min} to ${spec.max}`
    }
    controls[spec.field] = value
  }
  return undefined
}

function parseFlag(raw: string): boolean | undefined {
  const value = raw.toLowerCase()
  if (value === '' || value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  return undefined
}
