/**
 * @module
 * POST /v1/embeddings: the same admission, dispatch and metering path as chat, without streams.
 */
import type { Handler } from 'hono'
import { observedHeaders } from '../chat/headers'
import type { GatewayDeps } from '../deps'
import type { TenantEnv } from '../env'
import { readJsonBody } from '../lib/json-body'
import { estimateTokens } from '../lib/tokens'
import { validate } from '../lib/validate'
import { costMicroUsd, priceFor } from '../metering/prices'
import { recordUsage } from '../metering/record'
import { type EmbeddingsRequest, EmbeddingsRequestSchema } from '../openai/chat-request'
import { targetKey } from '../routing/order-targets'
import { prepareTargets } from '../routing/targets'
import { callUpstream } from '../upstream/call'
import { dispatch } from '../upstream/dispatch'

export const EMBEDDINGS_ENDPOINT = '/v1/embeddings'

export function embeddings(deps: GatewayDeps): Handler<TenantEnv> {
  return async function embeddings(c) {
    const { tenant, apiKey, endUser } = c.var
    const waitUntil = (work: Promise<unknown>) => c.executionCtx.waitUntil(work)
    c.var.observation.requested('embeddings')
    const body = validate(EmbeddingsRequestSchema(), await readJsonBody(c))
    c.var.observation.requested('embeddings', { model: body.model })
    const targets = await prepareTargets(
      { config: deps.config, tenant, apiKey },
      body.model,
      'embeddings'
    )
    if (targets[0]) c.var.observation.routed(targetKey(targets[0]))
    const promptTokens = estimateInputTokens(body.input)
    const admitted = await deps.limits.admit(
      {
        tenant,
        apiKey,
        model: targetKey(targets[0] ?? { provider: '', model: body.model }),
        promptTokens,
        maxOutputTokens: 0,
        choices: 1,
        endUser,
      },
      waitUntil
    )
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
      const model = targetKey(dispatched.target)
      const usage = {
        model,
        promptTokens: reported ?? promptTokens,
        completionTokens: 0,
        cachedTokens: 0,
        estimated: reported === undefined,
        endpoint: EMBEDDINGS_ENDPOINT,
      }
      const cost = costMicroUsd(priceFor(tenant, model), usage)
      waitUntil(admitted.settle({ tokens: usage.promptTokens, costMicroUsd: Math.ceil(cost) }))
      waitUntil(
        recordUsage(
          deps.writes,
          tenant.id,
          apiKey.id,
          usage,
          cost / 1e6,
          deps.clock(),
          endUser?.hashedId
        )
      )
      c.var.observation.metered(usage, cost / 1e6)
      const headers = observedHeaders(c.var.observation, {
        startedAt: c.var.startedAt,
        servedBy: {
          target: model,
          attempts: dispatched.attempts,
          upstreamMs: dispatched.upstreamMs,
        },
        rateLimits: admitted.headers,
        degraded: admitted.degraded,
        usageEstimated: reported === undefined,
      })
      return c.json(result, 200, headers)
    } catch (error) {
      waitUntil(admitted.settle(null))
      throw error
    }
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
