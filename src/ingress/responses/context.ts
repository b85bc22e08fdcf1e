/**
 * @module
 * What of the history goes upstream. Without a budget, or within it, everything does. Past it,
 * with `truncation: "auto"`: the instructions, the running summary of older turns, and the turns
 * after it verbatim, dropping whole turns from the front only while the summary has not caught up
 * yet (the response says how many it left out). With `truncation: "disabled"`, a context past
 * the budget is a 400, as OpenAI documents, never a silent cut. Stored items are never touched.
 */
import { GatewayError } from '../../errors'
import { estimateMessagesTokens } from '../../lib/tokens'
import type { ChatMessage } from '../../openai/chat-request'
import { type Item, toChatMessages, turnStarts } from './items'
import type { ResponsesSettings } from './settings'
import type { Summary } from './store'

export type ContextPlan = {
  messages: ChatMessage[]
  /** Leading history items represented by the summary instead of verbatim. */
  summarized: number
  /** Items after the summary left out to fit the budget (until the summary catches up). */
  omitted: number
}

export function planContext(options: {
  instructions: string | null | undefined
  items: readonly Item[]
  summary: Summary | undefined
  settings: ResponsesSettings['context']
  truncation: 'auto' | 'disabled'
}): ContextPlan {
  const { instructions, items, summary, settings } = options
  const system: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : []
  const full = [...system, ...toChatMessages(items)]
  const budget = settings.maxInputTokens
  if (budget === undefined || estimateMessagesTokens(full) <= budget) {
    return { messages: full, summarized: 0, omitted: 0 }
  }
  if (options.truncation === 'disabled') {
    throw new GatewayError(
      400,
      `The conversation takes about ${estimateMessagesTokens(full)} tokens, more than the budget of ${budget}; set truncation to "auto" to fold older turns into a summary.`,
      { code: 'context_length_exceeded', param: 'input' }
    )
  }
  const covers = summary?.covers ?? 0
  const prefix: ChatMessage[] = summary
    ? [...system, { role: 'system', content: summaryMessage(summary.text) }]
    : system
  const starts = [covers, ...turnStarts(items).filter((start) => start > covers)]
  for (const start of starts) {
    const messages = [...prefix, ...toChatMessages(items.slice(start))]
    if (estimateMessagesTokens(messages) <= budget) {
      return { messages, summarized: covers, omitted: start - covers }
    }
  }
  throw new GatewayError(
    400,
    `The last turn alone takes more than the context budget of ${budget} tokens.`,
    { code: 'context_length_exceeded', param: 'input' }
  )
}

export function summaryMessage(text: string): string {
  return `Summary of the earlier conversation:\n${text}`
}

/**
 * Where the next summary should end, or undefined when none is due: once the history (after the
 * current summary) passes three quarters of the budget, every turn before the last N is folded.
 */
export function summaryDue(
  items: readonly Item[],
  summary: Summary | undefined,
  settings: ResponsesSettings['context']
): number | undefined {
  const budget = settings.maxInputTokens
  if (budget === undefined) return undefined
  const covers = summary?.covers ?? 0
  const rest = toChatMessages(items.slice(covers))
  if (estimateMessagesTokens(rest) <= budget * 0.75) return undefined
  const starts = turnStarts(items).filter((start) => start > covers)
  if (starts.length <= settings.recentTurns) return undefined
  return starts[starts.length - settings.recentTurns]
}
