/**
 * @module
 * The output side, for whole answers and for streams. A stream is never buffered as a whole
 * unless a check asks for `buffer`: each text of a choice (its content, and each tool call's
 * arguments) passes through placeholder restoration (holding back only a tail that may still
 * become a placeholder) and then a window of the largest `window_chars` among the window
 * checks, scanned on every chunk. A block ends the stream by throwing the `guardrail_blocked`
 * error, which the relay sends as `event: error`. Monitor checks hold nothing back: they read
 * the finished texts once, for the verdicts.
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { StreamItem } from '../providers/types'
import type { Check } from './settings'
import { outputSpans, redactionMarker, replaceSpans, type Span } from './spans'
import { type Encode, jsonStringContent, type Restorer, type Vault } from './vault'
import { blocked, type Verdict } from './verdicts'

/** One text of a streamed choice: its content, or one tool call's arguments. */
type Channel = {
  restorer: Restorer
  /** The text after restoration and output redaction. */
  text: string
  /** How much of `text` the client has been sent. */
  released: number
  finished: boolean
  /** Findings already counted (check and absolute start): the window re-scans text. */
  seen: Set<string>
}

type ChoiceState = { content: Channel; calls: Map<number, Channel>; finished: boolean }

type Delta = ChatCompletionChunk.Choice.Delta
type ToolCallDelta = NonNullable<Delta['tool_calls']>[number]

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

  /** A whole answer: every output check reads every text, whatever its stream mode. */
  completion(completion: ChatCompletion): ChatCompletion {
    if (this.idle) return completion
    const choices = completion.choices.map((choice) => {
      const { message } = choice
      const content = typeof message.content === 'string' ? this.whole(message.content) : null
      const calls = message.tool_calls?.map((call) => {
        if (call.type !== 'function') return call
        const args = this.whole(call.function.arguments, jsonStringContent)
        return args === call.function.arguments
          ? call
          : { ...call, function: { ...call.function, arguments: args } }
      })
      const same =
        content === message.content &&
        (calls ?? []).every((call, index) => call === message.tool_calls?.[index])
      if (same) return choice
      this.changed = true
      return {
        ...choice,
        message: { ...message, content, ...(calls ? { tool_calls: calls } : {}) },
      }
    })
    return { ...completion, choices }
  }

  private whole(text: string, encode?: Encode): string {
    return this.inspect(this.vault.restore(text, encode), 0, this.checks, 0, new Set())
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
      const delta: Delta = choice.delta ?? {}
      const done = choice.finish_reason != null
      if (done) state.finished = true
      const next: Delta = { ...delta }
      // Content ends where tool calls begin: its tail goes out before the first call.
      const contentEnds = done || (delta.tool_calls?.length ?? 0) > 0
      const incoming = typeof delta.content === 'string' ? delta.content : ''
      const content = this.feed(state.content, incoming, contentEnds)
      if (content !== incoming) next.content = content
      const calls = this.passCalls(state, delta.tool_calls, done)
      if (calls !== delta.tool_calls) {
        if (calls && calls.length > 0) next.tool_calls = calls
        else delete next.tool_calls
      }
      if (content === incoming && calls === delta.tool_calls) return choice
      touched = true
      return { ...choice, delta: next }
    })
    if (!touched) return chunk
    this.changed = true
    return choices.some(carries) || chunk.usage ? { ...chunk, choices } : undefined
  }

  /**
   * A chunk's tool-call deltas, their arguments restored and checked. A call's arguments are
   * complete once the next call starts (calls stream one after another), so its held tail goes
   * out then, ahead of the new call: every dialect's client sees each call's arguments whole.
   */
  private passCalls(
    state: ChoiceState,
    deltas: ToolCallDelta[] | undefined,
    done: boolean
  ): ToolCallDelta[] | undefined {
    let changed = false
    const out: ToolCallDelta[] = []
    for (const call of deltas ?? []) {
      if (!state.calls.has(call.index)) {
        const earlier = this.flushCalls(state)
        if (earlier.length > 0) changed = true
        out.push(...earlier)
      }
      const incoming = call.function?.arguments ?? ''
      const args = this.feed(this.channel(state, call.index), incoming, done)
      if (args === incoming) {
        out.push(call)
        continue
      }
      changed = true
      const opens = call.id !== undefined || call.type !== undefined || call.function?.name
      if (args !== '' || opens)
        out.push({ ...call, function: { ...call.function, arguments: args } })
    }
    if (done) {
      const rest = this.flushCalls(state)
      if (rest.length > 0) changed = true
      out.push(...rest)
    }
    return changed ? out : deltas
  }

  /** The held arguments of every unfinished call of a choice, now complete. */
  private flushCalls(state: ChoiceState): ToolCallDelta[] {
    const out: ToolCallDelta[] = []
    for (const [index, channel] of state.calls) {
      if (channel.finished) continue
      const args = this.feed(channel, '', true)
      if (args !== '') out.push({ index, function: { arguments: args } })
    }
    return out
  }

  /** Text into a channel; returns what may be sent now (all of it once `ends`). */
  private feed(channel: Channel, incoming: string, ends: boolean): string {
    // Every chunk of a tool call ends the content again: nothing new, nothing to scan.
    if (ends && channel.finished && incoming === '') return ''
    channel.text += channel.restorer.push(incoming)
    if (ends) {
      channel.text += channel.restorer.flush()
      channel.finished = true
    } else channel.finished = false // text after its end (content after a call) is held again
    return this.release(channel, ends)
  }

  /** Scans the window, applies the checks' actions, and returns the text now safe to send. */
  private release(channel: Channel, done: boolean): string {
    // A `buffer` check holds everything until the end: scanning the whole text again at every
    // chunk would only repeat work (quadratic in the answer), so it is scanned once, at the end.
    const scanning = Number.isFinite(this.window) || done
    if (this.windowChecks.length > 0 && scanning) {
      // Re-scan from a window before what was sent, so a match straddling the edge is seen whole.
      const from = Math.max(
        0,
        channel.released - (Number.isFinite(this.window) ? this.window : channel.released)
      )
      const scanned = this.inspect(
        channel.text.slice(from),
        channel.released - from,
        this.windowChecks,
        from,
        channel.seen
      )
      channel.text = channel.text.slice(0, from) + scanned
    }
    const end = done
      ? channel.text.length
      : Math.max(channel.released, channel.text.length - this.window)
    const out = channel.text.slice(channel.released, end)
    channel.released = end
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

  /** Monitor checks read each finished text once: no delay on the way. */
  private finishMonitors(): void {
    const monitors = this.checks.filter((check) => check.streamMode === 'monitor')
    for (const check of monitors) {
      for (const state of this.choices.values()) {
        for (const channel of [state.content, ...state.calls.values()]) {
          const spans = outputSpans(check, channel.text)
          if (spans.length > 0) this.record(check, spans.length)
        }
      }
    }
  }

  private flushAll(last: ChatCompletionChunk): ChatCompletionChunk | undefined {
    const choices: ChatCompletionChunk.Choice[] = []
    for (const [index, state] of this.choices) {
      if (state.finished) continue
      const content = this.feed(state.content, '', true)
      const calls = this.flushCalls(state)
      const delta: Delta = {}
      if (content !== '') delta.content = content
      if (calls.length > 0) delta.tool_calls = calls
      if (content !== '' || calls.length > 0) choices.push({ index, delta, finish_reason: null })
    }
    return choices.length > 0 ? { ...last, choices, usage: undefined } : undefined
  }

  private state(index: number): ChoiceState {
    let state = this.choices.get(index)
    if (!state) {
      state = { content: this.newChannel(), calls: new Map(), finished: false }
      this.choices.set(index, state)
    }
    return state
  }

  private channel(state: ChoiceState, index: number): Channel {
    let channel = state.calls.get(index)
    if (!channel) {
      channel = this.newChannel(jsonStringContent)
      state.calls.set(index, channel)
    }
    return channel
  }

  private newChannel(encode?: Encode): Channel {
    return {
      restorer: this.vault.restorer(encode),
      text: '',
      released: 0,
      finished: false,
      seen: new Set(),
    }
  }
}

/** Whether a rewritten choice still says something: otherwise its chunk is not sent. */
function carries(choice: ChatCompletionChunk.Choice): boolean {
  const { delta } = choice
  return (
    choice.finish_reason != null ||
    (typeof delta.content === 'string' && delta.content !== '') ||
    delta.role !== undefined ||
    typeof delta.refusal === 'string' ||
    (delta.tool_calls?.length ?? 0) > 0
  )
}
