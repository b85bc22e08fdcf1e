/**
 * @module
 * What an end user's chat request becomes before the pipeline sees it: `user` is the id hashed
 * with the tenant's salt (so the upstream can attribute abuse without learning who it is, and
 * whatever the page sent cannot impersonate anyone), and the output cap is at most the token's.
 */
import type { ChatRequest } from '../openai/chat-request'
import type { EndUser } from './types'

export function endUserChatRequest(request: ChatRequest, endUser: EndUser): ChatRequest {
  const capped = { ...request, user: endUser.hashedId }
  const cap = endUser.maxTokens
  if (cap === undefined) return capped
  // The field the client used is the one its server understands; `max_tokens` when it used none.
  if (request.max_completion_tokens != null) {
    return { ...capped, max_completion_tokens: Math.min(request.max_completion_tokens, cap) }
  }
  return { ...capped, max_tokens: Math.min(request.max_tokens ?? cap, cap) }
}
