/**
 * @module
 * POST /v1/embeddings: the same admission, dispatch and metering path as chat, without streams.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { readJsonBody } from '../lib/json-body'
import { estimateTokens } from '../lib/tokens'
import { validate } from '../lib/validate'
import { type EmbeddingsRequest, EmbeddingsRequestSchema } from '../openai/chat-request'
import { targetKey } from '../routing/order-targets'
import { admit } from './admit'
import { dispatch } from './dispatch'
import { prepareTargets } from './targets'
import { servedByHeaders } from './timing'
import { callUpstream } from './upstream-call'

export const EMBEDDINGS_ENDPOINT = '/v1/embeddings'

export async function embeddings(c: Context<AppEnv>): Promise<Response> {
  const body = validate(EmbeddingsRequestSchema, await readJsonBody(c))
  const targets = await prepareTargets(c, body.model, 'embeddings')
  const promptTokens = estimateInputTokens(body.input)
  const settle = await admit(c, {
    endpoint: EMBEDDINGS_ENDPOINT,
    model: targetKey(targets[0] ?? { provider: '', model: body.model }),
    promptTokens,
    maxOutputTokens: 0,
  })
  try {
    const dispatched = await dispatch(
      targets,
      async (target, signal) => {
        const request = target.adapter.embeddingsRequest(body, target.model, target.credentials)
        const response = await callUpstream(request, target, signal)
        return target.adapter.embeddingsResponse(await response.json())
      },
      { clientSignal: c.req.raw.signal }
    )
    dispatched.finish()
    const result = dispatched.value
    const reported = result.usage?.prompt_tokens
    settle({
      model: targetKey(dispatched.target),
      promptTokens: reported ?? promptTokens,
      completionTokens: 0,
      cachedTokens: 0,
      estimated: reported === undefined,
      endpoint: EMBEDDINGS_ENDPOINT,
    })
    return c.json(result, 200, servedByHeaders(dispatched, c.var.startedAt))
  } catch (error) {
    settle(null)
    throw error
  }
}

function estimateInputTokens(input: EmbeddingsRequest['input']): number {
  if (typeof input === 'string') return estimateTokens(input)
  return input.reduce<number>((sum, item) => {
    if (typeof item === 'string') return sum + estimateTokens(item)
    if (typeof item === 'number') return sum + 1
    return sum + item.length
  }, 0)
}
