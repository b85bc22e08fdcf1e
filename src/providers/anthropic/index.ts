/**
 * @module
 * Anthropic's Messages API behind the OpenAI chat completions shape.
 */
import { GatewayError } from '../../errors'
import { errorEnvelopeDetail } from '../errors'
import type { Credentials, ProviderAdapter } from '../types'
import { toAnthropicBody } from './request'
import { toChatCompletion } from './response'
import { anthropicStream } from './stream'

export const ANTHROPIC_VERSION = '2023-06-01'

function noEmbeddings(): never {
  throw new GatewayError(400, 'Anthropic models do not serve embeddings.', {
    code: 'unsupported_operation',
  })
}

export const anthropic: ProviderAdapter = {
  name: 'anthropic',
  supportsEmbeddings: false,
  requiresApiKey: true,

  chatRequest({ body, model, stream, credentials }) {
    return new Request(`${credentials.baseUrl.replace(/\/+$/, '')}/v1/messages`, {
      method: 'POST',
      headers: anthropicHeaders(credentials),
      body: JSON.stringify(toAnthropicBody(body, model, stream)),
    })
  },

  chatResponse: toChatCompletion,
  chatStream: anthropicStream,
  embeddingsRequest: noEmbeddings,
  embeddingsResponse: noEmbeddings,
  errorDetail: errorEnvelopeDetail,
}

function anthropicHeaders(credentials: Credentials): Headers {
  const headers = new Headers({
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
  })
  if (credentials.apiKey) headers.set('x-api-key', credentials.apiKey)
  return headers
}
