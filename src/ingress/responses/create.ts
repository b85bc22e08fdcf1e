/**
 * @module
 * POST /v1/responses: the request is mapped to the pipeline's internal form (an OpenAI chat
 * request), answered by `answerChat` with every stage of the chat path (routing, limits, budgets,
 * caching, retrieval), and the answer mapped back: a Response object, or Responses events frame
 * by frame.
 *
 * Read-your-writes: the turn's writes (the response with its full history, conversation items)
 * are issued together once the answer is known, and the response is released to the client (the
 * JSON body, or the stream's last event) only once Redis has acknowledged them. A follow-up with
 * `previous_response_id` sent after the client saw the response therefore finds it in any
 * isolate, at the price of one pipelined round trip at the end of the answer, never before the
 * upstream call. They do not join the isolate's write batch: the batch is flushed from the
 * context of the request that opened it, and workerd cancels a request that waits on another
 * request's I/O.
 */
import type { Context, Handler } from 'hono'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { answerChat } from '../../chat/pipeline'
import type { GatewayDeps } from '../../deps'
import type { TenantEnv } from '../../env'
import { GatewayError } from '../../errors'
import { readJsonBody } from '../../lib/json-body'
import { SSE_HEADERS } from '../../lib/sse'
import { validate } from '../../lib/validate'
import type { ChatRequest } from '../../openai/chat-request'
import { followEvents, startBackgroundResponse } from './background'
import { type ContextPlan, planContext, summaryDue } from './context'
import { type Item, newId, requiredInput } from './items'
import {
  completionOutput,
  finished,
  type ResponseObject,
  responseUsage,
  startedResponse,
  type TurnFacts,
} from './response-object'
import { type ResponsesRequest, ResponsesRequestSchema } from './schema'
import { type ResponsesSettings, resolveResponsesSettings } from './settings'
import {
  conversationKey,
  loadConversation,
  loadResponse,
  type Owner,
  ownerOf,
  readableBy,
  responseKey,
  type Summary,
  storeTurn,
  summaryKey,
} from './store'
import { responseEvents } from './stream'
import { summarize } from './summary'

/** The history a turn continues from. */
type Prior = { items: Item[]; summary: Summary | undefined; conversationId: string | undefined }

/** Which response a run answers: a new foreground one, or a background one created earlier. */
export type RunAs = { id: string; background: boolean; createdAt: number }

export function createResponse(
  deps: GatewayDeps,
  background: { sweep(): Promise<void> }
): Handler<TenantEnv> {
  return async function createResponse(c) {
    const request = validate(ResponsesRequestSchema(), await readJsonBody(c))
    if (request.background) {
      const { tenant, apiKey, endUser } = c.var
      const idempotencyKey = c.req.header('idempotency-key')
      const response = await startBackgroundResponse(
        deps,
        endUser ? { tenant, apiKey, endUser } : { tenant, apiKey },
        request,
        idempotencyKey === undefined ? {} : { idempotencyKey }
      )
      c.executionCtx.waitUntil(background.sweep())
      if (!request.stream) return c.json(response)
      return c.body(followEvents(deps, tenant.id, response.id, -1), 200, SSE_HEADERS)
    }
    const createdAt = Math.floor(Date.now() / 1000)
    return answerResponse(deps, c, request, { id: newId('resp'), background: false, createdAt })
  }
}

/**
 * The answer to one Responses request through the chat pipeline: the foreground create, and the
 * background runner (which always streams, so it can record the events as they are produced).
 */
export async function answerResponse(
  deps: GatewayDeps,
  c: Context<TenantEnv>,
  request: ResponsesRequest,
  run: RunAs
): Promise<Response> {
  const { tenant, apiKey } = c.var
  const settings = resolveResponsesSettings(tenant.config.responses)
  const owner = ownerOf(apiKey.id, request)
  const prior = await priorContext(deps, tenant.id, request, owner)
  const input = requiredInput(request)
  const items = [...prior.items, ...input]
  const truncation = request.truncation ?? settings.context.defaultTruncation
  const plan = planContext({
    instructions: request.instructions,
    items,
    summary: prior.summary,
    settings: settings.context,
    truncation,
  })
  const facts: TurnFacts = {
    id: run.id,
    request,
    store: request.store ?? settings.storeDefault,
    truncation,
    conversationId: prior.conversationId,
    background: run.background,
    createdAt: run.createdAt,
  }
  const answer = await answerChat(deps, c, chatRequest(request, plan))
  const turn = new Turn(deps, c, settings, { facts, owner, prior, input })
  const headers = answerHeaders(answer.headers, plan)
  if (!answer.body || !answer.headers.get('content-type')?.includes('text/event-stream')) {
    const completion: ChatCompletion = await answer.json()
    const response = finished(
      startedResponse(facts),
      completionOutput(completion),
      completion.choices[0]?.finish_reason,
      responseUsage(completion.usage)
    )
    await turn.finish(response)
    headers.set('content-type', 'application/json')
    return new Response(JSON.stringify(response), { status: 200, headers })
  }
  const events = responseEvents(answer.body, startedResponse(facts), (response) =>
    turn.finish(response)
  )
  return new Response(events, { status: 200, headers })
}

/** One read, before the pipeline: the previous response's or the conversation's history. */
async function priorContext(
  deps: GatewayDeps,
  tenantId: string,
  request: ResponsesRequest,
  owner: Owner
): Promise<Prior> {
  const conversation = request.conversation
  if (request.previous_response_id && conversation) {
    throw new GatewayError(400, 'previous_response_id cannot be combined with conversation.', {
      param: 'previous_response_id',
      code: 'invalid_request',
    })
  }
  if (request.previous_response_id) {
    const loaded = await loadResponse(deps.redis, tenantId, request.previous_response_id)
    if (!loaded || !readableBy(loaded.stored.owner, owner, true)) {
      throw notFound('response', request.previous_response_id, 'previous_response_id')
    }
    return { items: loaded.stored.history, summary: loaded.summary, conversationId: undefined }
  }
  if (conversation) {
    const id = typeof conversation === 'string' ? conversation : conversation.id
    const loaded = await loadConversation(deps.redis, tenantId, id, true)
    if (!loaded || !readableBy(loaded.conversation.owner, owner, false)) {
      throw notFound('conversation', id, 'conversation')
    }
    return { items: loaded.items, summary: loaded.summary, conversationId: id }
  }
  return { items: [], summary: undefined, conversationId: undefined }
}

export function notFound(kind: string, id: string, param: string | null = null): GatewayError {
  return new GatewayError(404, `No ${kind} found with id '${id}'.`, {
    param,
    code: `${kind}_not_found`,
  })
}

function chatRequest(request: ResponsesRequest, plan: ContextPlan): ChatRequest {
  const format = request.text?.format
  const chat: ChatRequest = {
    model: request.model,
    messages: plan.messages,
    stream: request.stream === true,
  }
  // The gateway always wants usage: the Response object reports it, streamed or not.
  if (request.stream) chat.stream_options = { include_usage: true }
  if (request.tools && request.tools.length > 0) {
    chat.tools = request.tools.map(({ type, name, description, parameters, strict }) => ({
      type,
      function: {
        name,
        ...(description ? { description } : {}),
        ...(parameters ? { parameters } : {}),
        ...(strict !== undefined ? { strict } : {}),
      },
    }))
  }
  const choice = request.tool_choice
  if (choice !== undefined) {
    chat.tool_choice =
      typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } }
  }
  if (request.parallel_tool_calls != null) chat.parallel_tool_calls = request.parallel_tool_calls
  if (format?.type === 'json_schema') {
    const { name, schema, description, strict } = format
    chat.response_format = {
      type: 'json_schema',
      json_schema: { name, schema, ...(description ? { description } : {}), strict },
    }
  } else if (format?.type === 'json_object') chat.response_format = { type: 'json_object' }
  if (request.max_output_tokens != null) chat.max_completion_tokens = request.max_output_tokens
  if (request.temperature != null) chat.temperature = request.temperature
  if (request.top_p != null) chat.top_p = request.top_p
  const user = request.safety_identifier ?? request.user
  if (user !== undefined) chat.user = user
  if (request.reasoning?.effort) chat.reasoning_effort = request.reasoning.effort
  if (request.prompt_cache_key !== undefined) chat.prompt_cache_key = request.prompt_cache_key
  return chat
}

/** The pipeline's headers (rate limits, target, cache, overhead), plus what the context plan did. */
function answerHeaders(from: Headers, plan: ContextPlan): Headers {
  const headers = new Headers(from)
  headers.delete('content-length')
  if (plan.summarized > 0 || plan.omitted > 0) {
    headers.set('x-gateway-context', `summarized=${plan.summarized}; omitted=${plan.omitted}`)
  }
  return headers
}

/** Storing a finished turn and, when due, summarising its history in the background. */
class Turn {
  constructor(
    private readonly deps: GatewayDeps,
    private readonly c: Context<TenantEnv>,
    private readonly settings: ResponsesSettings,
    private readonly turn: { facts: TurnFacts; owner: Owner; prior: Prior; input: Item[] }
  ) {}

  /** Resolves once the turn's writes are acknowledged (or failed, which is logged). */
  async finish(response: ResponseObject): Promise<void> {
    const { facts, owner, prior, input } = this.turn
    const tenantId = this.c.var.tenant.id
    const history = [...prior.items, ...input, ...response.output]
    const conversation =
      facts.conversationId && response.status !== 'failed'
        ? { id: facts.conversationId, items: [...input, ...response.output], owner }
        : undefined
    if (!facts.store && !conversation) return
    const stored = facts.store
      ? {
          response,
          owner,
          history,
          input: [prior.items.length, prior.items.length + input.length] as [number, number],
          ...(prior.summary ? { summary: prior.summary } : {}),
        }
      : undefined
    try {
      await storeTurn(this.deps.redis, tenantId, {
        response: stored,
        retentionSeconds: this.settings.retentionSeconds,
        conversation,
      })
    } catch (error) {
      // The answer stands; only its continuation is lost, and the log says so.
      this.deps.report('response store', error)
    }
    if (response.status === 'failed') return
    const summaryTarget = conversation
      ? summaryKey(conversationKey(tenantId, conversation.id))
      : stored
        ? summaryKey(responseKey(tenantId, response.id))
        : undefined
    const upTo = summaryDue(history, prior.summary, this.settings.context)
    if (summaryTarget === undefined || upTo === undefined) return
    this.c.executionCtx.waitUntil(this.summarize(history, upTo, summaryTarget))
  }

  private async summarize(items: Item[], upTo: number, key: string): Promise<void> {
    const { deps, c, settings, turn } = this
    try {
      const summary = await summarize(deps, c, {
        model: settings.context.summaryModel ?? turn.facts.request.model,
        items,
        previous: turn.prior.summary,
        upTo,
      })
      const stored = JSON.stringify(summary)
      const ttl = turn.facts.conversationId ? undefined : settings.retentionSeconds
      await deps.writes.write('response summary', () =>
        ttl === undefined ? deps.redis.set(key, stored) : deps.redis.set(key, stored, { ex: ttl })
      )
    } catch (error) {
      deps.report('response summary', error)
    }
  }
}
