/**
 * @module
 * POST /v1/chat/completions: validate -> resolve targets -> admit (limits, budget) -> dispatch
 * with retries and fallback -> answer as JSON or relay the stream -> settle usage after the
 * response, through waitUntil, so metering never delays the client. A cache hit is answered
 * between admission and dispatch; a fresh answer is stored after the response. Retrieval, when
 * asked for, adds its sources to the prompt before all of this and its citations to the answer.
 */
import type { Context } from 'hono'
import { type CacheSession, openCache } from '../cache/session'
import type { AppEnv } from '../env'
import { readJsonBody } from '../lib/json-body'
import { SSE_HEADERS } from '../lib/sse'
import { estimateMessagesTokens, estimateTokens } from '../lib/tokens'
import { validate } from '../lib/validate'
import { type ChatRequest, ChatRequestSchema } from '../openai/chat-request'
import type { StreamItem, Usage } from '../providers/types'
import { openAIUsage } from '../providers/usage'
import { citeResponse } from '../retrieval/cite-response'
import { retrieveForChat } from '../retrieval/rag'
import { targetKey } from '../routing/order-targets'
import type { MeteredUsage } from '../tenancy/types'
import { admit, type Settle } from './admit'
import { dispatch, type PreparedTarget } from './dispatch'
import { relayStream } from './sse-relay'
import { prepareTargets } from './targets'
import { servedByHeaders } from './timing'
import { callUpstream } from './upstream-call'

export const CHAT_ENDPOINT = '/v1/chat/completions'

export async function chatCompletions(c: Context<AppEnv>): Promise<Response> {
  const request = validate(ChatRequestSchema, await readJsonBody(c))
  const targets = await prepareTargets(c, request.model, 'chat')
  // Before admission and the cache: the sources are part of what limits count and caches key.
  const retrieval = await retrieveForChat(c, request)
  const body = retrieval ? { ...request, messages: retrieval.messages } : request
  const cite = (response: Response) =>
    retrieval ? citeResponse(response, retrieval.sources) : response
  const promptTokens = estimateMessagesTokens(body.messages)
  // The cache lookup runs while admission checks limits: two independent round trips at once.
  const opening = openCache(c, body, targets)
  opening.catch(() => {}) // awaited below; a refused request must not leave it unhandled
  const settle = await admit(c, {
    endpoint: CHAT_ENDPOINT,
    model: targetKey(targets[0] ?? { provider: '', model: body.model }),
    promptTokens,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
  })
  try {
    const cache = await opening
    if (cache.hit) {
      settle({ ...cache.hit.usage, endpoint: CHAT_ENDPOINT })
      return await cite(cache.hit.response)
    }
    return await cite(
      body.stream
        ? await streamChat({ c, body, targets, promptTokens, settle, cache })
        : await completeChat({ c, body, targets, promptTokens, settle, cache })
    )
  } catch (error) {
    settle(null)
    throw error
  }
}

/** What answering one admitted, uncached request needs. */
type Turn = {
  c: Context<AppEnv>
  body: ChatRequest
  targets: PreparedTarget[]
  promptTokens: number
  settle: Settle
  cache: CacheSession
}

/** Dispatches the turn to its targets; `read` turns one target's 2xx response into the answer. */
function dispatchChat<T>(
  turn: Turn,
  stream: boolean,
  read: (response: Response, target: PreparedTarget) => Promise<T>
) {
  const { body } = turn
  return dispatch(
    turn.targets,
    async (target, signal) => {
      const request = target.adapter.chatRequest({
        body,
        model: target.model,
        stream,
        credentials: target.credentials,
      })
      return read(await callUpstream(request, target, signal), target)
    },
    { clientSignal: turn.c.req.raw.signal }
  )
}

async function completeChat(turn: Turn): Promise<Response> {
  const { c, body, promptTokens, settle, cache } = turn
  const dispatched = await dispatchChat(turn, false, async (response, target) =>
    target.adapter.chatResponse(await response.json(), body.model)
  )
  dispatched.finish()
  const { completion, usage } = dispatched.value
  const headers = servedByHeaders(dispatched, c.var.startedAt)
  let served = usage
  if (!served) {
    // Many OpenAI-compatible servers send no usage: count it ourselves, and say so.
    const text = completion.choices.map((choice) => choice.message.content ?? '').join('')
    served = { promptTokens, completionTokens: estimateTokens(text), cachedTokens: 0 }
    completion.usage = openAIUsage(served)
    headers['x-gateway-usage'] = 'estimated'
  }
  settle(metered(dispatched.target, served, !usage, cache))
  cache.store(completion, targetKey(dispatched.target))
  return c.json(completion, 200, headers)
}

async function streamChat(turn: Turn): Promise<Response> {
  const { c, body, promptTokens, settle, cache } = turn
  const dispatched = await dispatchChat(turn, true, async (response, target) => {
    if (!response.body) throw new TypeError('Upstream stream has no body')
    const rest = target.adapter.chatStream(response.body)[Symbol.asyncIterator]()
    // The 200 is committed only once the first chunk is here: until then we can still fall back.
    const first: IteratorResult<StreamItem> = await rest.next()
    return { first, rest }
  })
  const { first, rest } = dispatched.value
  const stream = relayStream({
    first,
    rest,
    includeUsage: body.stream_options?.include_usage === true,
    promptTokensEstimate: promptTokens,
    abortUpstream: dispatched.abort,
    onEnd: (outcome) => {
      dispatched.finish()
      settle(metered(dispatched.target, outcome.usage, outcome.usageEstimated, cache))
      cache.storeStream(outcome, targetKey(dispatched.target))
    },
  })
  return c.body(stream, 200, { ...SSE_HEADERS, ...servedByHeaders(dispatched, c.var.startedAt) })
}

function metered(
  target: PreparedTarget,
  usage: Usage,
  estimated: boolean,
  cache: CacheSession
): MeteredUsage {
  return {
    model: targetKey(target),
    ...usage,
    estimated,
    cache: cache.status,
    endpoint: CHAT_ENDPOINT,
  }
}
