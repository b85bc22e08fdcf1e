/**
 * @module
 * One adapter for every server that speaks OpenAI's API: OpenAI, Azure OpenAI, Groq, Together,
 * OpenRouter, vLLM, Ollama, the local mock. They differ only in the settings below.
 */
import type { ChatCompletion } from 'openai/resources/chat/completions'
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings'
import { isRecord } from '../../lib/json'
import { ANTHROPIC_PASSTHROUGH } from '../anthropic/request'
import { errorEnvelopeDetail, UpstreamProtocolError } from '../errors'
import { checkCompletion } from '../shape'
import type { ChatCall, Credentials, ProviderAdapter } from '../types'
import { readUsage } from '../usage'
import { openAIStream } from './stream'

export type OpenAICompatibleSettings = {
  name: string
  /** How the key travels: OpenAI and most others use a bearer token, Azure an `api-key` header. */
  auth?: 'bearer' | 'api-key'
  requiresApiKey?: boolean
  /** Azure OpenAI: the model names a deployment in the path, and every call carries api-version. */
  azureApiVersion?: string
}

export function openAICompatible(settings: OpenAICompatibleSettings): ProviderAdapter {
  const auth = settings.auth ?? 'bearer'

  function endpoint(credentials: Credentials, operation: string, model: string): string {
    const base = credentials.baseUrl.replace(/\/+$/, '')
    if (!settings.azureApiVersion) return `${base}/${operation}`
    const version = encodeURIComponent(settings.azureApiVersion)
    return `${base}/openai/deployments/${encodeURIComponent(model)}/${operation}?api-version=${version}`
  }

  function headers(credentials: Credentials): Headers {
    const result = new Headers({ 'content-type': 'application/json' })
    if (credentials.apiKey) {
      if (auth === 'api-key') result.set('api-key', credentials.apiKey)
      else result.set('authorization', `Bearer ${credentials.apiKey}`)
    }
    return result
  }

  return {
    name: settings.name,
    supportsEmbeddings: true,
    requiresApiKey: settings.requiresApiKey ?? true,

    chatRequest({ body, model, stream, credentials }: ChatCall): Request {
      const {
        retrieval: _gatewayOnly,
        [ANTHROPIC_PASSTHROUGH]: _anthropicOnly,
        ...upstreamBody
      } = body
      // Always ask for usage: every streamed request is metered with exact counts.
      const streamOptions = stream ? { ...body.stream_options, include_usage: true } : undefined
      return new Request(endpoint(credentials, 'chat/completions', model), {
        method: 'POST',
        headers: headers(credentials),
        body: JSON.stringify({ ...upstreamBody, model, stream, stream_options: streamOptions }),
      })
    },

    chatResponse(json) {
      const checked = checkCompletion(json)
      return { completion: checked as unknown as ChatCompletion, usage: readUsage(checked.usage) }
    },

    chatStream: openAIStream,

    embeddingsRequest(body, model, credentials) {
      return new Request(endpoint(credentials, 'embeddings', model), {
        method: 'POST',
        headers: headers(credentials),
        body: JSON.stringify({ ...body, model }),
      })
    },

    embeddingsResponse(json) {
      if (!isRecord(json) || !Array.isArray(json.data)) {
        throw new UpstreamProtocolError('Upstream sent an embeddings response without data')
      }
      return json as unknown as CreateEmbeddingResponse
    },

    errorDetail: errorEnvelopeDetail,
  }
}
