/**
 * @module
 * Moderation through the provider's OpenAI-compatible `POST /moderations`, under a latency
 * budget: it is the one guardrail that waits on the network before the upstream call.
 */
import type { Credentials } from '../providers/types'

export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest'

export type ModerationResult = { flagged: boolean; categories: string[] }

export type Moderate = (
  input: string,
  options: { model: string; categories: string[] | undefined; budgetMs: number }
) => Promise<ModerationResult>

type ModerationBody = {
  results?: { flagged?: unknown; categories?: Record<string, unknown> }[]
}

export function moderator(credentials: Credentials, fetcher: typeof fetch = fetch): Moderate {
  return async (input, options) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (credentials.apiKey) headers.authorization = `Bearer ${credentials.apiKey}`
    const response = await fetcher(`${credentials.baseUrl.replace(/\/$/, '')}/moderations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: options.model, input }),
      signal: AbortSignal.timeout(options.budgetMs),
    })
    if (!response.ok) {
      await response.body?.cancel()
      throw new Error(`moderation answered ${response.status}`)
    }
    const body: ModerationBody = await response.json()
    const result = body.results?.[0]
    if (!result) throw new Error('moderation answered no result')
    const categories = Object.entries(result.categories ?? {})
      .filter(([category, on]) => on === true && (options.categories?.includes(category) ?? true))
      .map(([category]) => category)
    const flagged = options.categories ? categories.length > 0 : result.flagged === true
    return { flagged, categories }
  }
}
