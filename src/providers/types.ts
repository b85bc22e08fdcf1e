/**
 * @module
 * The contract every provider adapter meets: build the upstream request from an OpenAI-shaped
 * one, and map the upstream's answer (JSON or stream) back to OpenAI shapes.
 */
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings'
import type { ChatRequest, EmbeddingsRequest } from '../openai/chat-request'

export type Usage = {
  promptTokens: number
  completionTokens: number
  cachedTokens: number
  /** Prompt-cache writes (Anthropic reports them), counted inside promptTokens too. */
  cacheWriteTokens?: number
}

/** Where and as whom to call a provider: the deployment's settings or a tenant's own key. */
export type Credentials = { apiKey: string | undefined; baseUrl: string }

/** One item of a mapped stream: a chunk to send on (raw = the upstream's own bytes for it). */
export type StreamItem =
  | { kind: 'chunk'; chunk: ChatCompletionChunk; raw?: string }
  | { kind: 'usage'; usage: Usage; chunk?: ChatCompletionChunk; raw?: string }

export type UpstreamErrorDetail = { message: string; code: string | null }

export type ChatCall = {
  body: ChatRequest
  model: string
  stream: boolean
  credentials: Credentials
}

export interface ProviderAdapter {
  readonly name: string
  readonly supportsEmbeddings: boolean
  /** A key is required unless the provider runs without one (local servers, the mock). */
  readonly requiresApiKey: boolean
  chatRequest(call: ChatCall): Request
  chatResponse(
    json: unknown,
    requestedModel: string
  ): { completion: ChatCompletion; usage: Usage | undefined }
  chatStream(body: ReadableStream<Uint8Array>): AsyncIterable<StreamItem>
  embeddingsRequest(body: EmbeddingsRequest, model: string, credentials: Credentials): Request
  embeddingsResponse(json: unknown): CreateEmbeddingResponse
  errorDetail(status: number, bodyText: string): UpstreamErrorDetail
}
