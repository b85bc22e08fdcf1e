/**
 * `POST /v1/moderations`: flags exactly the categories the `flag` control names (the model
 * suffix `:flag=violence+hate`), so guardrail tests choose the verdict; `status`, `ttft` and
 * `hang` make it fail or slow like any other endpoint.
 */
import type { Reply } from './deliver.ts'
import type { EndpointInput } from './endpoint.ts'
import { errorBody } from './errors.ts'

const CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
]

export function moderations({ body, model, controls, requestId }: EndpointInput): Reply {
  const inputs = typeof body.input === 'string' ? [body.input] : body.input
  if (!Array.isArray(inputs) || inputs.length === 0) {
    return {
      kind: 'json',
      status: 400,
      body: errorBody('openai', 400, "'input' is required", 'input'),
    }
  }
  const flagged = new Set((controls.flag ?? '').split('+').filter((name) => name !== ''))
  const results = inputs.map(() => ({
    flagged: flagged.size > 0,
    categories: Object.fromEntries(CATEGORIES.map((name) => [name, flagged.has(name)])),
    category_scores: Object.fromEntries(
      CATEGORIES.map((name) => [name, flagged.has(name) ? 0.98 : 0.001])
    ),
  }))
  return { kind: 'json', status: 200, body: { id: `modr-${requestId}`, model, results } }
}
