/**
 * @module
 * The input side: every check the policy puts on input, in order, each seeing the request as the
 * previous one left it (so moderation reads the redacted text). A block throws the 400
 * `guardrail_blocked` naming the check; redaction rewrites the messages before anything else
 * (retrieval, the cache key, admission, the upstream) sees them.
 */
import { GatewayError } from '../errors'
import { contentText, estimateMessagesTokens } from '../lib/tokens'
import type { ChatRequest } from '../openai/chat-request'
import { scoreInjection } from './injection'
import { DEFAULT_MODERATION_MODEL, type Moderate } from './moderation'
import { type Check, DEFAULT_MODERATION_BUDGET_MS } from './settings'
import { listSpans, piiSpans, replaceSpans, type Span } from './spans'
import { argumentTexts, mapArguments } from './tool-arguments'
import type { Vault } from './vault'
import { blocked, GUARDRAILS_HEADER, type Verdict, verdictHeader } from './verdicts'

type Message = ChatRequest['messages'][number]

export type InputContext = {
  checks: readonly Check[]
  vault: Vault
  /** Absent when the request's provider has no moderation endpoint to call. */
  moderate: Moderate | undefined
  clock: () => number
}

export function guardInput(
  context: InputContext,
  request: ChatRequest
): { request: ChatRequest; verdicts: Verdict[]; moderated: Promise<void> } {
  const verdicts: Verdict[] = []
  const calls: Promise<void>[] = []
  let current = request
  for (const check of context.checks) {
    if (!check.onInput) continue
    if (check.type === 'moderation') {
      // Called out now, awaited by the pipeline alongside admission: the waits overlap.
      const verdict = inputVerdict(check, 'pending')
      verdicts.push(verdict)
      const call = moderationCheck(context, check, current).then((outcome) => {
        Object.assign(verdict, { verdict: outcome.verdict, ...outcome.detail })
        if (verdict.verdict === 'blocked') throw blocked(verdict, verdicts, 400)
      })
      // Handled here too: a later check may refuse the request before anyone awaits this one.
      call.catch(() => undefined)
      calls.push(call)
      continue
    }
    const outcome = runCheck(context, check, current)
    current = outcome.request ?? current
    const verdict: Verdict = { ...inputVerdict(check, outcome.verdict), ...outcome.detail }
    verdicts.push(verdict)
    if (verdict.verdict === 'blocked') throw blocked(verdict, verdicts, 400)
  }
  return { request: current, verdicts, moderated: Promise.all(calls).then(() => undefined) }
}

function inputVerdict(check: Check, verdict: Verdict['verdict']): Verdict {
  return { check: check.label, type: check.type, side: 'input', verdict }
}

type Outcome = {
  verdict: Verdict['verdict']
  detail?: Pick<Verdict, 'count' | 'score' | 'ms'>
  request?: ChatRequest
}

/** Flagged findings become the check's action: monitor flags, redact rewrites, block refuses. */
function acted(check: Check, count: number, rewritten?: () => ChatRequest): Outcome {
  if (count === 0) return { verdict: 'pass' }
  if (check.action === 'block') return { verdict: 'blocked', detail: { count } }
  if (check.action === 'redact' && rewritten) {
    return { verdict: 'redacted', detail: { count }, request: rewritten() }
  }
  return { verdict: 'flagged', detail: { count } }
}

function runCheck(
  context: InputContext,
  check: Exclude<Check, { type: 'moderation' }>,
  request: ChatRequest
): Outcome {
  switch (check.type) {
    case 'size':
      return sizeCheck(check, request)
    case 'deny':
    case 'pii': {
      const find = (text: string): Span[] =>
        check.type === 'deny' ? listSpans(check, text) : piiSpans(check, text)
      let count = 0
      for (const message of request.messages) {
        for (const text of messageTexts(message)) count += find(text).length
      }
      return acted(check, count, () => ({
        ...request,
        messages: request.messages.map((message) =>
          mapMessageText(message, (text) =>
            replaceSpans(text, find(text), (span) =>
              check.type === 'deny'
                ? '[REDACTED]'
                : context.vault.placeholder(span.type, text.slice(span.start, span.end))
            )
          )
        ),
      }))
    }
    case 'allow': {
      const last = request.messages.findLast((message) => message.role === 'user')
      const text = last ? messageTexts(last).join('\n') : ''
      return acted(check, listSpans(check, text).length > 0 ? 0 : 1)
    }
    case 'injection': {
      // The system and developer prompts are the tenant's own: injections come from the rest.
      const text = request.messages
        .filter((message) => message.role !== 'system' && message.role !== 'developer')
        .flatMap(messageTexts)
        .join('\n')
      const { score } = scoreInjection(text)
      const outcome = acted(check, score >= (check.threshold ?? 0.5) ? 1 : 0)
      return { ...outcome, detail: { ...outcome.detail, score } }
    }
  }
}

function sizeCheck(check: Extract<Check, { type: 'size' }>, request: ChatRequest): Outcome {
  const chars = request.messages.reduce(
    (sum, message) => sum + messageTexts(message).reduce((n, text) => n + text.length, 0),
    0
  )
  const over = (value: number, cap: number | undefined) =>
    cap !== undefined && value > cap ? 1 : 0
  const breaches =
    over(request.messages.length, check.max_messages) +
    over(chars, check.max_chars) +
    over(estimateMessagesTokens(request.messages), check.max_prompt_tokens)
  const field = request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens'
  const asked = request[field] ?? undefined
  const tooMany = asked !== undefined ? over(asked, check.max_tokens) : 0
  let sized = request
  if (asked === undefined && check.default_max_tokens !== undefined) {
    const fallback = Math.min(check.default_max_tokens, check.max_tokens ?? Infinity)
    sized = { ...request, max_tokens: fallback }
  }
  if (breaches > 0 && check.action !== 'monitor')
    return { verdict: 'blocked', detail: { count: breaches } }
  if (tooMany && check.action === 'redact' && check.max_tokens !== undefined) {
    return {
      verdict: 'redacted',
      detail: { count: 1 },
      request: { ...sized, [field]: check.max_tokens },
    }
  }
  const outcome = acted(check, breaches + tooMany)
  return { ...outcome, request: sized }
}

async function moderationCheck(
  context: InputContext,
  check: Extract<Check, { type: 'moderation' }>,
  request: ChatRequest
): Promise<Outcome> {
  const input = request.messages
    .filter((message) => message.role === 'user' || message.role === 'tool')
    .flatMap(messageTexts)
    .join('\n')
  const started = context.clock()
  try {
    if (!context.moderate) throw new Error('no moderation endpoint for this provider')
    const result = await context.moderate(input, {
      model: check.model ?? DEFAULT_MODERATION_MODEL,
      categories: check.categories,
      budgetMs: check.budget_ms ?? DEFAULT_MODERATION_BUDGET_MS,
    })
    const outcome = acted(check, result.flagged ? Math.max(1, result.categories.length) : 0)
    return { ...outcome, detail: { ...outcome.detail, ms: context.clock() - started } }
  } catch (error) {
    if (check.fail_mode === 'closed') {
      const verdict = inputVerdict(check, 'error')
      throw new GatewayError(
        503,
        `Guardrail ${check.label} (moderation) is unavailable; the request was not sent.`,
        {
          type: 'service_unavailable',
          code: 'guardrail_unavailable',
          headers: { [GUARDRAILS_HEADER]: verdictHeader([verdict]) },
          cause: error,
        }
      )
    }
    return { verdict: 'error', detail: { ms: context.clock() - started } }
  }
}

/** The texts of a message the checks read: its content and its tool calls' argument values. */
function messageTexts(message: Message): string[] {
  const texts = contentTexts(message.content)
  if (message.role !== 'assistant' || !message.tool_calls) return texts
  return [...texts, ...message.tool_calls.flatMap((call) => argumentTexts(call.function.arguments))]
}

function contentTexts(content: Message['content']): string[] {
  if (typeof content === 'string') return [content]
  if (!Array.isArray(content)) return []
  return content.map((part: unknown) => contentText([part])).filter((text) => text !== '')
}

function mapMessageText(message: Message, map: (text: string) => string): Message {
  if (message.role === 'function') {
    return message.content === null ? message : { ...message, content: map(message.content) }
  }
  if (message.role !== 'assistant') return { ...message, content: mapContent(message.content, map) }
  const mapped = { ...message }
  if (message.content != null) mapped.content = mapContent(message.content, map)
  if (message.tool_calls) {
    mapped.tool_calls = message.tool_calls.map((call) => ({
      ...call,
      function: { ...call.function, arguments: mapArguments(call.function.arguments, map) },
    }))
  }
  return mapped
}

type Content = NonNullable<Extract<Message, { role: 'user' }>['content']>

function mapContent(content: Content, map: (text: string) => string): Content {
  if (typeof content === 'string') return map(content)
  return content.map((part) => (part.type === 'text' ? { ...part, text: map(part.text) } : part))
}
