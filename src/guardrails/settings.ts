/**
 * @module
 * A guardrail policy as a tenant (or key) configures it: an ordered list of checks, each with an
 * action, a side, an output streaming mode and, for checks that call out, a failure mode. Regexes
 * are vetted here, when the config is written, so a request never meets a pattern that can stall
 * the isolate. A key's policy adds checks to its tenant's; nothing in it can remove or weaken one.
 */
import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'
import { PII_TYPES } from './pii'
import { unsafePatternReason } from './safe-regex'

const MAX_CHECKS = 32
const MAX_TERMS = 500
const MAX_WINDOW_CHARS = 4096
export const DEFAULT_WINDOW_CHARS = 64
export const DEFAULT_MODERATION_BUDGET_MS = 500
const MAX_MODERATION_BUDGET_MS = 10_000
const MAX_COUNT = 100_000_000

const count = lazy(() => z.int().check(z.minimum(1), z.maximum(MAX_COUNT)))
const unit = lazy(() => z.number().check(z.gte(0), z.lte(1)))

const common = () => ({
  /** Names the check in verdicts and in a block's error message. */
  name: z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 of a-z, 0-9, _, -')),
  /** monitor: record only; redact: rewrite the text (or clamp, for size); block: refuse. */
  action: z.optional(z.enum(['monitor', 'redact', 'block'])),
  side: z.optional(z.enum(['input', 'output', 'both'])),
  /** Output streams: monitor (no delay), window (hold back N characters), buffer (hold all). */
  stream_mode: z.optional(z.enum(['monitor', 'window', 'buffer'])),
  window_chars: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_WINDOW_CHARS))),
})

const Pattern = lazy(() =>
  z.string().check(
    z.minLength(1),
    z.superRefine((pattern, ctx) => {
      const reason = unsafePatternReason(pattern)
      if (reason) {
        ctx.issues.push({ code: 'custom', message: `pattern ${pattern} ${reason}`, input: pattern })
      }
    })
  )
)

const listFields = () => ({
  /** Literal terms, matched case-insensitively anywhere in the text. */
  terms: z.optional(
    z.array(z.string().check(z.minLength(1), z.maxLength(200))).check(z.maxLength(MAX_TERMS))
  ),
  /** Regular expressions (case-insensitive), vetted for catastrophic backtracking. */
  patterns: z.optional(z.array(Pattern()).check(z.maxLength(50))),
})

const CheckSchema = lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({
      ...common(),
      type: z.literal('size'),
      max_messages: z.optional(count()),
      max_chars: z.optional(count()),
      max_prompt_tokens: z.optional(count()),
      /** Ceiling on max_tokens / max_completion_tokens: block refuses, redact clamps. */
      max_tokens: z.optional(count()),
      /** Set on requests that give no max_tokens (the "dynamic max tokens"). */
      default_max_tokens: z.optional(count()),
    }),
    z.strictObject({ ...common(), type: z.literal('deny'), ...listFields() }),
    z.strictObject({ ...common(), type: z.literal('allow'), ...listFields() }),
    z.strictObject({
      ...common(),
      type: z.literal('pii'),
      entities: z.optional(z.array(z.enum(PII_TYPES)).check(z.minLength(1))),
      min_confidence: z.optional(unit()),
    }),
    z.strictObject({ ...common(), type: z.literal('injection'), threshold: z.optional(unit()) }),
    z.strictObject({
      ...common(),
      type: z.literal('moderation'),
      /** The moderation model at the request's provider (its `/moderations` endpoint). */
      model: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
      /** Categories that count; absent: the provider's own `flagged`. */
      categories: z.optional(z.array(z.string().check(z.minLength(1))).check(z.maxLength(50))),
      budget_ms: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_MODERATION_BUDGET_MS))),
      /** When the endpoint fails or exceeds its budget: pass and mark (open) or refuse (closed). */
      fail_mode: z.optional(z.enum(['open', 'closed'])),
    }),
  ])
)

export type CheckInput = z.infer<ReturnType<typeof CheckSchema>>

/** What each check type may do, and where: anything else is refused when the config is written. */
const ALLOWED: Record<CheckInput['type'], { actions: string[]; output: boolean }> = {
  size: { actions: ['monitor', 'redact', 'block'], output: false },
  deny: { actions: ['monitor', 'redact', 'block'], output: true },
  allow: { actions: ['monitor', 'block'], output: false },
  pii: { actions: ['monitor', 'redact', 'block'], output: true },
  injection: { actions: ['monitor', 'block'], output: false },
  moderation: { actions: ['monitor', 'block'], output: false },
}

export const GuardrailPolicySchema = lazy(() =>
  z.strictObject({ checks: z.array(CheckSchema()).check(z.maxLength(MAX_CHECKS)) }).check(
    z.superRefine((policy, ctx) => {
      const problem = (index: number, field: string, message: string) =>
        ctx.issues.push({ code: 'custom', message, input: policy, path: ['checks', index, field] })
      const names = new Set<string>()
      policy.checks.forEach((check, index) => {
        if (names.has(check.name)) problem(index, 'name', `duplicates check ${check.name}`)
        names.add(check.name)
        const allowed = ALLOWED[check.type]
        const action = check.action ?? 'block'
        if (!allowed.actions.includes(action)) {
          problem(index, 'action', `${check.type} checks take ${allowed.actions.join(', ')}`)
        }
        if (!allowed.output && (check.side === 'output' || check.side === 'both')) {
          problem(index, 'side', `${check.type} checks run on input only`)
        }
        if ((check.type === 'deny' || check.type === 'allow') && !check.terms && !check.patterns) {
          problem(index, 'terms', 'needs terms or patterns')
        }
      })
    })
  )
)

export type GuardrailPolicyInput = z.infer<ReturnType<typeof GuardrailPolicySchema>>

/** A check with its defaults applied, as the request path reads it. */
export type Check = CheckInput & {
  action: 'monitor' | 'redact' | 'block'
  onInput: boolean
  onOutput: boolean
  streamMode: 'monitor' | 'window' | 'buffer'
  windowChars: number
  /** Which policy it came from: a key's checks are named `key:<name>` in verdicts. */
  label: string
}

/** The tenant's checks, then the key's: both always run, so a key can only add strictness. */
export function effectiveChecks(
  tenant: GuardrailPolicyInput | undefined,
  key: GuardrailPolicyInput | undefined
): Check[] {
  return [...resolvedChecks(tenant, ''), ...resolvedChecks(key, 'key:')]
}

/**
 * Kept per policy object, which lives as long as the cached tenant or key: the same check
 * objects come back on every request, so what is compiled for them (regexes) is compiled once.
 */
const resolved = new WeakMap<GuardrailPolicyInput, Check[]>()

function resolvedChecks(policy: GuardrailPolicyInput | undefined, prefix: string): Check[] {
  if (!policy) return []
  let checks = resolved.get(policy)
  if (!checks) {
    checks = policy.checks.map((check) => resolveCheck(check, `${prefix}${check.name}`))
    resolved.set(policy, checks)
  }
  return checks
}

function resolveCheck(check: CheckInput, label: string): Check {
  const side = check.side ?? 'input'
  return {
    ...check,
    action: check.action ?? 'block',
    onInput: side !== 'output',
    onOutput: side !== 'input',
    streamMode: check.stream_mode ?? 'window',
    windowChars: check.window_chars ?? DEFAULT_WINDOW_CHARS,
    label,
  }
}
