/**
 * @module
 * Folds older turns into the running summary with a model call, after the response (from
 * `waitUntil`), through the same pipeline as any chat request: the tenant's routing, limits,
 * budget and metering apply to it.
 */
import type { Context } from 'hono'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { answerChat } from '../../chat/pipeline'
import type { GatewayDeps } from '../../deps'
import type { TenantEnv } from '../../env'
import { type Item, transcript } from './items'
import type { Summary } from './store'

const SUMMARY_MAX_TOKENS = 512

const INSTRUCTIONS =
  'You maintain the running summary of a conversation between a user and an assistant. ' +
  'Rewrite the summary so it also covers the new turns: keep facts, names, numbers, decisions, ' +
  'preferences and open questions; drop pleasantries. Answer with the summary alone.'

export async function summarize(
  deps: GatewayDeps,
  c: Context<TenantEnv>,
  options: { model: string; items: readonly Item[]; previous: Summary | undefined; upTo: number }
): Promise<Summary> {
  const { previous, upTo } = options
  const covers = previous?.covers ?? 0
  const answer = await answerChat(deps, c, {
    model: options.model,
    messages: [
      { role: 'system', content: INSTRUCTIONS },
      {
        role: 'user',
        content: `Current summary:\n${previous?.text ?? '(none)'}\n\nNew turns:\n${transcript(options.items.slice(covers, upTo))}`,
      },
    ],
    max_completion_tokens: SUMMARY_MAX_TOKENS,
  })
  const completion: ChatCompletion = await answer.json()
  const text = completion.choices[0]?.message.content?.trim()
  if (!text) throw new Error('The summary model returned no text')
  return { text, covers: upTo }
}
