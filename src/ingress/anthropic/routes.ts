/**
 * @module
 * Anthropic's Messages API in front of the same pipeline as chat completions:
 * `POST /v1/messages` (JSON or stream) and `POST /v1/messages/count_tokens`. Requests are
 * validated in Anthropic's shape, answered by `answerChat` in the internal (OpenAI) form, and
 * mapped back; failures use Anthropic's envelope (see ./errors and the app's error handler).
 * `anthropic-version` and `anthropic-beta` are accepted and need no handling: the mapping is the
 * same for every version Anthropic's SDKs send.
 */
import { Hono } from 'hono/tiny'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import { answerChat } from '../../chat/pipeline'
import type { GatewayDeps } from '../../deps'
import type { TenantEnv } from '../../env'
import { readJsonBody } from '../../lib/json-body'
import { estimateMessagesTokens, estimateTokens } from '../../lib/tokens'
import { validate } from '../../lib/validate'
import { toAnthropicMessage } from './from-chat'
import { anthropicSchemas } from './schema'
import { toAnthropicStream } from './stream'
import { promptOf, toChatRequest } from './to-chat'

export const MESSAGES_ENDPOINT = '/v1/messages'
export const COUNT_TOKENS_ENDPOINT = '/v1/messages/count_tokens'

export function anthropicRoutes(deps: GatewayDeps): Hono<TenantEnv> {
  return new Hono<TenantEnv>()
    .post('/messages', async function messages(c) {
      const request = validate(anthropicSchemas().MessagesRequest, await readJsonBody(c))
      const chat = toChatRequest(request)
      const answer = await answerChat(deps, c, chat)
      const headers = Object.fromEntries(answer.headers)
      if (request.stream && answer.body) {
        const stream = toAnthropicStream(answer.body, {
          model: request.model,
          inputTokensEstimate: estimateMessagesTokens(chat.messages),
        })
        return c.body(stream, 200, headers)
      }
      // The pipeline's own JSON, in OpenAI's completion shape (with citations when retrieving).
      const completion = (await answer.json()) as ChatCompletion & { citations?: unknown }
      delete headers['content-length']
      const message = toAnthropicMessage(completion, request.model)
      const cited = completion.citations === undefined ? {} : { citations: completion.citations }
      return c.json({ ...message, ...cited }, 200, headers)
    })
    .post('/messages/count_tokens', async function countTokens(c) {
      const prompt = promptOf(
        validate(anthropicSchemas().CountTokensRequest, await readJsonBody(c))
      )
      // The same estimate admission reserves against, plus the tool definitions the model reads.
      const tools = prompt.tools ? estimateTokens(JSON.stringify(prompt.tools)) : 0
      return c.json({ input_tokens: estimateMessagesTokens(prompt.messages) + tools })
    })
}
