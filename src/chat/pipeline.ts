/**
 * @module
 * POST /v1/chat/completions, top to bottom:
 *   authenticate (tenantAuth, before this handler) -> validate -> resolve targets -> retrieve ->
 *   admit and look up (one Redis round trip; on an exact miss the semantic lookup, within its
 *   budget) ->
 *   dispatch (retries, fallback) -> relay (JSON or stream) -> settle (after the response).
 * The response's headers are assembled once, in `answerHeaders`, from what the stages found.
 */
import type { Context, Handler } from 'hono'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { replayedCompletion, replayStream, savedTokens } from '../cache/replay'
import type { CacheTicket, Found, Lookup } from '../cache/response-cache'
import type { GatewayDeps } from '../deps'
import { endUserChatRequest } from '../end-users/chat-request'
import type { TenantEnv } from '../env'
import { type Guard, openGuard } from '../guardrails'
import { readJsonBody } from '../lib/json-body'
import { SSE_HEADERS } from '../lib/sse'
import { estimateMessagesTokens, estimateTokens } from '../lib/tokens'
import { validate } from '../lib/validate'
import type { AdmissionRequest, Admitted } from '../limits/admission'
import { costMicroUsd, priceFor } from '../metering/prices'
import { isCacheHit, recordUsage } from '../metering/record'
import type { MeteredUsage } from '../metering/usage'
import { promptText } from '../observability/payload'
import { type ChatRequest, ChatRequestSchema } from '../openai/chat-request'
import type { StreamItem, Usage } from '../providers/types'
import { openAIUsage } from '../providers/usage'
import { citationsFrame, citeCompletion } from '../retrieval/cite-response'
import { retrieveForChat } from '../retrieval/rag'
import type { SearchHit } from '../retrieval/search'
import { targetKey } from '../routing/order-targets'
import type { PreparedTarget } from '../routing/prepared-target'
import { prepareTargets } from '../routing/targets'
import { callUpstream } from '../upstream/call'
import { dispatch } from '../upstream/dispatch'
import { relayStream } from '../upstream/relay'
import { type AnswerFacts, answerHeaders, observedHeaders } from './headers'

export const CHAT_ENDPOINT = '/v1/chat/completions'

/** Records what a request consumed (null: it failed, refund everything) after the response. */
export type Settle = (usage: Omit<MeteredUsage, 'endpoint'> | null) => void

/** What answering one admitted request needs, gathered by the stages before dispatch. */
type Turn = {
  c: Context<TenantEnv>
  deps: GatewayDeps
  body: ChatRequest
  targets: PreparedTarget[]
  promptTokens: number
  sources: SearchHit[] | undefined
  admitted: Admitted
  ticket: CacheTicket
  settle: Settle
  guard: Guard
}

export function chatCompletions(deps: GatewayDeps): Handler<TenantEnv> {
  return async function chatCompletions(c) {
    c.var.observation.requested('chat')
    return answerChat(deps, c, validate(ChatRequestSchema(), await readJsonBody(c)))
  }
}

/**
 * Every stage after validation, for a request in the pipeline's internal form (OpenAI's chat
 * request). Other ingress dialects map their request to it, call this, and map the answer back.
 */
export async function answerChat(
  deps: GatewayDeps,
  c: Context<TenantEnv>,
  asked: ChatRequest
): Promise<Response> {
  const { tenant, apiKey, endUser } = c.var
  const request = endUser ? endUserChatRequest(asked, endUser) : asked
  const waitUntil = (work: Promise<unknown>) => c.executionCtx.waitUntil(work)
  const caller = { config: deps.config, tenant, apiKey }
  const { observation } = c.var
  observation.requested('chat', {
    stream: request.stream === true,
    endUser: request.user,
    model: request.model,
  })
  observation.exchanged('prompt', () => promptText(request.messages))
  const targets = await prepareTargets(caller, request.model, 'chat')
  if (targets[0]) observation.routed(targetKey(targets[0]))
  // First of all: redacted input is all that retrieval, the cache, limits and upstreams see.
  const guard = openGuard(c, request, targets)
  // Before admission and the cache: the sources are part of what limits count and caches key.
  const retrieval = await observation.timed(
    'retrieval',
    retrieveForChat({ ...caller, redis: deps.redis }, guard.request)
  )
  const body = retrieval ? { ...guard.request, messages: retrieval.messages } : guard.request
  const promptTokens = estimateMessagesTokens(body.messages)
  const admission: AdmissionRequest = {
    tenant,
    apiKey,
    model: targetKey(targets[0] ?? { provider: '', model: body.model }),
    promptTokens,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    choices: body.n ?? 1,
    endUser,
  }
  const ticket = await deps.cache.open({
    tenantId: tenant.id,
    settings: tenant.config.cache,
    body,
    targets,
    headers: c.req.raw.headers,
  })
  const sources = retrieval?.sources

  if (ticket.held) {
    await guard.moderated
    const admitted = deps.limits.admitHeld(admission, waitUntil)
    const settle = guard.settling(settler(deps, waitUntil, c, admitted))
    return fromCache(c, body, sources, admitted, ticket, ticket.held, settle, guard)
  }
  // Issued in one tick: the exact read rides in admission's pipelined round trip.
  const lookup = ticket.lookup(waitUntil)
  const admitting = deps.limits.admit(admission, waitUntil)
  const [admitted, exact] = await Promise.all([
    observation.timed('admission', admitting),
    observation.timed('cache', lookup.exact),
  ])
  const settle = guard.settling(settler(deps, waitUntil, c, admitted, lookup))
  try {
    await guard.moderated
    const found = exact ?? (await observation.timed('cache.semantic', lookup.similar()))
    if (found) return fromCache(c, body, sources, admitted, ticket, found, settle, guard)
    const turn: Turn = {
      c,
      deps,
      body,
      targets,
      promptTokens,
      sources,
      admitted,
      ticket,
      settle,
      guard,
    }
    return body.stream ? await streamChat(turn) : await completeChat(turn)
  } catch (error) {
    settle(null)
    throw error
  }
}

/**
 * Settlement after the response: reservations reconciled, usage and spend metered, all joining
 * the isolate's next batch of writes. A cache hit is metered but costs nothing and uses no quota.
 */
function settler(
  deps: GatewayDeps,
  waitUntil: (work: Promise<unknown>) => void,
  c: Context<TenantEnv>,
  admitted: Admitted,
  lookup?: Lookup
): Settle {
  const { tenant, apiKey, endUser, observation } = c.var
  let settled = false
  return (usage) => {
    if (settled) return
    settled = true
    if (!usage) {
      waitUntil(admitted.settle(null))
      return
    }
    const billable = !isCacheHit(usage)
    const cost = billable ? costMicroUsd(priceFor(tenant, usage.model), usage) : 0
    const tokens = billable ? usage.promptTokens + usage.completionTokens : 0
    const metered: MeteredUsage = { ...usage, endpoint: CHAT_ENDPOINT }
    if (lookup?.late()) metered.semanticLate = true
    observation.metered(usage, cost / 1e6)
    waitUntil(admitted.settle({ tokens, costMicroUsd: Math.ceil(cost) }))
    waitUntil(
      recordUsage(
        deps.writes,
        tenant.id,
        apiKey.id,
        metered,
        cost / 1e6,
        deps.clock(),
        endUser?.hashedId
      )
    )
  }
}

function fromCache(
  c: Context<TenantEnv>,
  body: ChatRequest,
  sources: SearchHit[] | undefined,
  admitted: Admitted,
  ticket: CacheTicket,
  found: Found,
  settle: Settle,
  guard: Guard
): Response {
  const { entry } = found
  // The cache holds answers as the upstream gave them: restored and checked for this request.
  const completion = guard.output.completion(replayedCompletion(entry.completion))
  c.var.observation.exchanged('answer', () => answerText(completion))
  const headers = observedHeaders(c.var.observation, {
    startedAt: c.var.startedAt,
    servedBy: { target: entry.model, attempts: 0, upstreamMs: 0 },
    rateLimits: admitted.headers,
    degraded: [...admitted.degraded, ...ticket.degraded],
    cache: {
      status: found.status,
      ageSeconds: Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000)),
      similarity: found.similarity,
    },
    guardrails: guard.header(false),
  })
  settle({
    model: entry.model,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    estimated: false,
    cache: found.status,
    savedTokens: savedTokens(entry.completion),
  })
  if (!body.stream) {
    return c.json(
      guard.body(sources ? citeCompletion(completion, sources) : completion),
      200,
      headers
    )
  }
  const trailer = sources ? citationsFrame(completion, sources, answerText(completion)) : undefined
  const includeUsage = body.stream_options?.include_usage === true
  return c.body(replayStream(completion, includeUsage, trailer), 200, {
    ...SSE_HEADERS,
    ...headers,
  })
}

/** Dispatches the turn to its targets; `read` turns one target's 2xx response into the answer. */
function dispatchChat<T>(
  turn: Turn,
  stream: boolean,
  read: (response: Response, target: PreparedTarget) => Promise<T>
) {
  const { body } = turn
  const dispatching = dispatch(
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
    {
      clientSignal: turn.c.req.raw.signal,
      failureHeaders: ({ target, attempts, upstreamMs }) =>
        answerHeaders({
          startedAt: turn.c.var.startedAt,
          servedBy: { target: `${target.provider}/${target.model}`, attempts, upstreamMs },
          rateLimits: turn.admitted.headers,
          degraded: [...turn.admitted.degraded, ...turn.ticket.degraded],
        }),
    }
  )
  return turn.c.var.observation.timed('upstream', dispatching)
}

function factsOf(
  turn: Turn,
  dispatched: { target: PreparedTarget; attempts: number; upstreamMs: number }
): AnswerFacts {
  return {
    startedAt: turn.c.var.startedAt,
    servedBy: {
      target: `${dispatched.target.provider}/${dispatched.target.model}`,
      attempts: dispatched.attempts,
      upstreamMs: dispatched.upstreamMs,
    },
    rateLimits: turn.admitted.headers,
    degraded: [...turn.admitted.degraded, ...turn.ticket.degraded],
    cache: { status: turn.ticket.status },
    guardrails: turn.guard.header(turn.body.stream === true),
  }
}

async function completeChat(turn: Turn): Promise<Response> {
  const { c, body, promptTokens, settle, ticket, sources } = turn
  const dispatched = await dispatchChat(turn, false, async (response, target) =>
    target.adapter.chatResponse(await response.json(), body.model)
  )
  dispatched.finish()
  const { completion, usage } = dispatched.value
  let served = usage
  if (!served) {
    // Many OpenAI-compatible servers send no usage: count it ourselves, and say so.
    served = {
      promptTokens,
      completionTokens: estimateTokens(answerText(completion)),
      cachedTokens: 0,
    }
    completion.usage = openAIUsage(served)
  }
  let shown: ChatCompletion
  try {
    // Checked before it is stored: a blocked answer is neither shown nor cached.
    shown = turn.guard.output.completion(completion)
  } finally {
    // Blocked or not, the upstream's tokens were spent; settled after the output verdicts.
    settle(metered(dispatched.target, served, !usage, ticket))
  }
  c.var.observation.exchanged('answer', () => answerText(shown))
  ticket.store(completion, targetKey(dispatched.target), (work) => c.executionCtx.waitUntil(work))
  const headers = observedHeaders(c.var.observation, {
    ...factsOf(turn, dispatched),
    usageEstimated: !usage,
  })
  return c.json(turn.guard.body(sources ? citeCompletion(shown, sources) : shown), 200, headers)
}

async function streamChat(turn: Turn): Promise<Response> {
  const { c, body, promptTokens, settle, ticket, sources } = turn
  const dispatched = await dispatchChat(turn, true, async (response, target) => {
    if (!response.body) throw new TypeError('Upstream stream has no body')
    const items = turn.guard.output.stream(target.adapter.chatStream(response.body))
    const rest = items[Symbol.asyncIterator]()
    // The 200 is committed only once the first chunk is here: until then we can still fall back.
    const first: IteratorResult<StreamItem> = await rest.next()
    return { first, rest }
  })
  const { first, rest } = dispatched.value
  const release = c.var.observation.hold()
  const stream = relayStream({
    first,
    rest,
    includeUsage: body.stream_options?.include_usage === true,
    promptTokensEstimate: promptTokens,
    abortUpstream: dispatched.abort,
    beforeDone: turn.guard.trailer(
      sources
        ? (answer) => citationsFrame(answer.identity(), sources, answer.generatedText())
        : undefined
    ),
    onEnd: (outcome) => {
      dispatched.finish()
      settle(metered(dispatched.target, outcome.usage, outcome.usageEstimated, ticket))
      c.var.observation.exchanged('answer', () => outcome.answer.generatedText())
      release(outcome.status)
      // What the client saw was restored or redacted: not the upstream's answer to store.
      const stored = outcome.answer.isComplete() && !turn.guard.output.altered
      if (outcome.status === 'finished' && stored) {
        const completion = { ...outcome.answer.toCompletion(), usage: openAIUsage(outcome.usage) }
        ticket.store(completion, targetKey(dispatched.target), (work) =>
          c.executionCtx.waitUntil(work)
        )
      }
    },
  })
  return c.body(stream, 200, {
    ...SSE_HEADERS,
    ...observedHeaders(c.var.observation, factsOf(turn, dispatched)),
  })
}

function answerText(completion: ChatCompletion): string {
  return completion.choices.map((choice) => choice.message.content ?? '').join('')
}

function metered(
  target: PreparedTarget,
  usage: Usage,
  estimated: boolean,
  ticket: CacheTicket
): Omit<MeteredUsage, 'endpoint'> {
  return { model: targetKey(target), ...usage, estimated, cache: ticket.status }
}
