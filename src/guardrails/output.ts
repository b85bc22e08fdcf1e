/**
 * @module
 * The output side, for whole answers and for streams. A stream is never buffered as a whole
 * unless a check asks for `buffer`: each choice's text passes through placeholder restoration
 * (holding back only a tail that may still become a placeholder) and then a window of the
 * largest `window_chars` among the window checks, scanned on every chunk. A block ends the
 * stream by throwing the `guardrail_blocked` error, which the relay sends as `event: error`.
 * Monitor checks hold nothing back: they read the finished text once, for the verdicts.
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { StreamItem } from '../providers/types'
import type { Check } from './settings'
import { outputSpans, redactionMarker, replaceSpans, type Span } from './spans'
import type { Restorer, Vault } from './vault'
import { blocked, type Verdict } from './verdicts'

type ChoiceState = {
  restorer: Restorer
  /** The choice's text after restoration and output redaction. */
  text: string
  /** How much of `text` the client has been sent. */
  released: number
  finished: boolean
  /** Findings already counted (check and absolute start): the window re-scans text. */
  seen: Set<string>
}

export class OutputGuard {
  private readonly checks: Check[]
  private readonly windowChecks: Check[]
  private readonly window: number
  private readonly results = new Map<string, Verdict>()
  private readonly choices = new Map<number, ChoiceState>()
  private changed = false

  constructor(
    checks: readonly Check[],
    private readonly vault: Vault
  ) {
    this.checks = checks.filter((check) => check.onOutput)
    this.windowChecks = this.checks.filter((check) => check.streamMode !== 'monitor')
    this.window = this.windowChecks.reduce(
      (most, check) => Math.max(most, check.streamMode === 'buffer' ? Infinity : check.windowChars),
      0
    )
    for (const check of this.checks) {
      this.results.set(check.label, {
        check: check.label,
        type: check.type,
        side: 'output',
        verdict: 'pass',
      })
    }
  }

  /** Nothing to restore and nothing to check: the answer passes untouched, at no cost. */
  get idle(): boolean {
    return this.vault.size === 0 && this.checks.length === 0
  }

  /** Whether the client saw something other than what the upstream sent (never cache that). */
  get altered(): boolean {
    return this.changed
  }

  /** Output verdicts so far; for a stream, `pending` until it ends. */
  verdicts(pending = false): Verdict[] {
    return [...this.results.values()].map((v) =>
      pending && v.verdict === 'pass' ? { ...v, verdict: 'pending' } : v
    )
  }

  /** A whole answer: every output check reads every choice, whatever its stream mode. */
  completion(completion: ChatCompletion): ChatCompletion {
    if (this.idle) return completion
    const choices = completion.choices.map((choice) => {
      const content = choice.message.content
      if (typeof content !== 'string') return choice
      const text = this.inspect(this.vault.restore(content), 0, this.checks, 0, new Set())
      if (text !== content) this.changed = true
      return { ...choice, message: { ...choice.message, content: text } }
    })
    return { ...completion, choices }
  }

  /** A stream's mapped items, restored and checked as they pass. */
  async *stream(items: AsyncIterable<StreamItem>): AsyncGenerator<StreamItem> {
    if (this.idle) {
      yield* items
      return
    }
    // A fallback target starts the answer over: nothing held from a failed attempt carries on.
    this.choices.clear()
    let last: ChatCompletionChunk | undefined
    for await (const item of items) {
      if (item.kind !== 'chunk') {
        yield item
        continue
      }
      last = item.chunk
      const chunk = this.pass(item.chunk)
      if (chunk === item.chunk) yield item
      else if (chunk) yield { kind: 'chunk', chunk }
    }
    // An upstream that ended without finish reasons still gets its held text.
    const tail = last && this.flushAll(last)
    if (tail) yield { kind: 'chunk', chunk: tail }
    this.finishMonitors()
  }

  /** One chunk: undefined when all its text is held and it carries nothing else. */
  private pass(chunk: ChatCompletionChunk): ChatCompletionChunk | undefined {
    let touched = false
    const choices = chunk.choices.map((choice) => {
      const state = this.state(choice.index)
      const delta = choice.delta ?? {}
      const incoming = typeof delta.content === 'string' ? delta.content : ''
      state.text += state.restorer.push(incoming)
      const done = choice.finish_reason != null
      if (done) {
        state.text += state.restorer.flush()
        state.finished = true
      }
      const released = this.release(state, done)
      if (released === incoming && (typeof delta.content === 'string' || released === ''))
        return choice
      touched = true
      return { ...choice, delta: { ...delta, content: released } }
    })
    if (!touched) return chunk
    this.changed = true
    const carriesMore = choices.some(
      (choice) =>
        choice.finish_reason != null ||
        choice.delta.content !== '' ||
        choice.delta.role ||
        choice.delta.tool_calls
    )
    return carriesMore || chunk.usage ? { ...chunk, choices } : undefined
  }

  /** Scans the window, applies the checks' actions, and returns the text now safe to send. */
  private release(state: ChoiceState, done: boolean): string {
    if (this.windowChecks.length > 0) {
      // Re-scan from a window before what was sent, so a match straddling the edge is seen whole.
      const from = Math.max(
        0,
        state.released - (Number.isFinite(this.window) ? this.window : state.released)
      )
      const scanned = this.inspect(
        state.text.slice(from),
        state.released - from,
        this.windowChecks,
        from,
        state.seen
      )
      state.text = state.text.slice(0, from) + scanned
    }
    const end = done ? state.text.length : Math.max(state.released, state.text.length - this.window)
    const out = state.text.slice(state.released, end)
    state.released = end
    return out
  }

  /**
   * Runs checks over `text`, acting only on findings that reach past `sentUpTo` (what the client
   * already has cannot be taken back). Returns the text with redactions applied; throws on block.
   */
  private inspect(
    text: string,
    sentUpTo: number,
    checks: readonly Check[],
    offset: number,
    seen: Set<string>
  ): string {
    let out = text
    for (const check of checks) {
      const spans = outputSpans(check, out).filter((span) => span.end > sentUpTo)
      if (spans.length === 0) continue
      const fresh = spans.filter((span) => !seen.has(`${check.label}@${offset + span.start}`))
      for (const span of fresh) seen.add(`${check.label}@${offset + span.start}`)
      const verdict = this.record(check, fresh.length)
      if (check.action === 'block') {
        verdict.verdict = 'blocked'
        throw blocked(verdict, this.verdicts(), 422)
      }
      if (check.action === 'redact') {
        verdict.verdict = 'redacted'
        const clipped = spans.map(
          (span): Span => ({ ...span, start: Math.max(span.start, sentUpTo) })
        )
        out = replaceSpans(out, clipped, redactionMarker)
      }
    }
    return out
  }

  private record(check: Check, count: number): Verdict {
    const verdict = this.results.get(check.label) ?? {
      check: check.label,
      type: check.type,
      side: 'output',
      verdict: 'pass',
    }
    verdict.count = (verdict.count ?? 0) + count
    if (verdict.verdict === 'pass') verdict.verdict = 'flagged'
    this.results.set(check.label, verdict)
    return verdict
  }

  /** Monitor checks read each choice's finished text once: no delay on the way. */
  private finishMonitors(): void {
    const monitors = this.checks.filter((check) => check.streamMode === 'monitor')
    for (const check of monitors) {
      for (const state of this.choices.values()) {
        const spans = outputSpans(check, state.text)
        if (spans.length > 0) this.record(check, spans.length)
      }
    }
  }

  private flushAll(last: ChatCompletionChunk): ChatCompletionChunk | undefined {
    const choices: ChatCompletionChunk.Choice[] = []
    for (const [index, state] of this.choices) {
      if (state.finished) continue
      state.text += state.restorer.flush()
      const content = this.release(state, true)
      if (content !== '') choices.push({ index, delta: { content }, finish_reason: null })
    }
    return choices.length > 0 ? { ...last, choices, usage: undefined } : undefined
  }

  private state(index: number): ChoiceState {
    let state = this.choices.get(index)
    if (!state) {
      state = {
        restorer: this.vault.restorer(),
        text: '',
        released: 0,
        finished: false,
        seen: new Set(),
      }
      this.choices.set(index, state)
    }
    return state
  }
}
