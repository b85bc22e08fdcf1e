/**
 * @module
 * The guardrails of one chat request, opened before retrieval and admission: the input checks
 * have run (or thrown), the request is the redacted one, and the output side is ready for the
 * answer, streamed or whole. Everything the pipeline needs from guardrails goes through here.
 */
import type { Context } from 'hono'
import type { Settle } from '../chat/pipeline'
import type { TenantEnv } from '../env'
import { logEvent } from '../lib/log'
import { encodeSSE } from '../lib/sse'
import type { ChatRequest } from '../openai/chat-request'
import type { PreparedTarget } from '../routing/prepared-target'
import type { StreamAccumulator } from '../upstream/stream-accumulator'
import { guardInput } from './input'
import { moderator } from './moderation'
import { OutputGuard } from './output'
import { effectiveChecks } from './settings'
import { Vault } from './vault'
import { findingCount, type Verdict, verdictHeader } from './verdicts'

/** A client sends this request header (any value) to get the final `guardrails` stream frame. */
export const REPORT_HEADER = 'x-gateway-guardrails-report'

type Trailer = (answer: StreamAccumulator) => Uint8Array

export type Guard = {
  /** The request as the input checks left it: redacted, sized. */
  request: ChatRequest
  /** Moderation's verdict, awaited alongside admission; rejects with its block or 503. */
  moderated: Promise<void>
  output: OutputGuard
  /** The `x-gateway-guardrails` value; output checks of a stream read `pending`. */
  header(stream: boolean): string | undefined
  /** A non-streamed answer with `x_gateway.guardrails`. */
  body<T extends object>(completion: T): T
  /** The stream's last frames: `trailer` (citations) and, if asked for, the verdicts. */
  trailer(trailer: Trailer | undefined): Trailer | undefined
  /** Adds the findings to what is metered and logs the verdicts, once the answer is settled. */
  settling(settle: Settle): Settle
}

export function openGuard(
  c: Context<TenantEnv>,
  request: ChatRequest,
  targets: readonly PreparedTarget[]
): Guard {
  const checks = effectiveChecks(c.var.tenant.config.guardrails, c.var.apiKey.guardrails)
  const vault = new Vault()
  const output = new OutputGuard(checks, vault)
  if (checks.length === 0) return passThrough(request, output)
  const target = targets[0]
  const {
    request: guarded,
    verdicts: input,
    moderated,
  } = guardInput(
    {
      checks,
      vault,
      moderate:
        target && target.adapter.name !== 'anthropic' ? moderator(target.credentials) : undefined,
      clock: () => performance.now(),
    },
    request
  )
  const wantsReport = c.req.header(REPORT_HEADER) !== undefined
  const all = (pending: boolean): Verdict[] => [...input, ...output.verdicts(pending)]
  // The pipeline may fail (a 429, say) before it awaits moderation: that rejection is expected.
  moderated.catch(() => undefined)
  return {
    request: guarded,
    moderated,
    output,
    header: (stream) => verdictHeader(all(stream)),
    body: (completion) => ({ ...completion, x_gateway: { guardrails: all(false) } }),
    trailer: (trailer) => {
      if (!wantsReport) return trailer
      return (answer) => {
        const report = encodeSSE(
          JSON.stringify({ object: 'gateway.guardrails', choices: [], guardrails: all(false) }),
          'guardrails'
        )
        return trailer ? concat(trailer(answer), report) : report
      }
    },
    settling: (settle) => (usage) => {
      const verdicts = all(false)
      const findings = findingCount(verdicts)
      if (findings > 0) logVerdicts(c, verdicts)
      settle(usage && { ...usage, guardrailFindings: findings })
    },
  }
}

function passThrough(request: ChatRequest, output: OutputGuard): Guard {
  return {
    request,
    moderated: Promise.resolve(),
    output,
    header: () => undefined,
    body: (completion) => completion,
    trailer: (trailer) => trailer,
    settling: (settle) => settle,
  }
}

/** Verdicts only: check names, counts and scores, never the text they were about. */
function logVerdicts(c: Context<TenantEnv>, verdicts: Verdict[]): void {
  logEvent(c, 'guardrails', {
    tenantId: c.var.tenant.id,
    keyId: c.var.apiKey.id,
    verdicts: verdicts.filter((v) => v.verdict !== 'pass'),
  })
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
