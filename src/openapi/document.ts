/**
 * @module
 * The OpenAPI 3.1 document of every public route, generated from the very zod schemas the routes
 * validate with (zod's own JSON Schema output), so it cannot drift from what is enforced. Built
 * on the first request for it, never at startup: a Worker's cold start pays for nothing here.
 */
import * as z from 'zod/mini'
import { MintRequestSchema } from '../end-users/client-tokens'
import { CreateHookSchema, UpdateHookSchema } from '../hooks/schema'
import { anthropicSchemas } from '../ingress/anthropic/schema'
import {
  AddItemsSchema,
  CreateConversationSchema,
  ListQuerySchema as ItemsQuerySchema,
  ResponsesRequestSchema,
  RetrieveQuerySchema,
  UpdateConversationSchema,
} from '../ingress/responses/schema'
import { isRecord } from '../lib/json'
import { lazy } from '../lib/lazy'
import { UsageQuerySchema } from '../metering/report'
import { BudgetsQuerySchema, FailuresQuerySchema } from '../observability/dashboard-api'
import { FeedbackQuerySchema, FeedbackSchema } from '../observability/feedback'
import { SeriesQuerySchema } from '../observability/series'
import { ChatRequestSchema, EmbeddingsRequestSchema } from '../openai/chat-request'
import { CreateCollectionSchema } from '../retrieval/collections'
import { DocumentInputSchema, DocumentsSchema } from '../retrieval/documents'
import { ListQuerySchema, SearchSchema } from '../routes/v1/collections'
import {
  CreateKeySchema,
  CreateTenantSchema,
  RotateKeySchema,
  UpdateTenantSchema,
} from '../tenancy/schema'
import { AttemptsQuerySchema } from '../webhooks/delivery-log'
import {
  CreateEndpointSchema,
  RotateSecretSchema,
  UpdateEndpointSchema,
} from '../webhooks/endpoints'

type Method = 'get' | 'post' | 'patch' | 'delete'
type Security = 'tenant' | 'admin' | 'none'

type Route = {
  method: Method
  /** OpenAPI's form: `{param}`. */
  path: string
  summary: string
  tag: string
  security: Security
  body?: z.ZodMiniType
  /** Besides JSON, the body may come as a multipart upload. */
  multipart?: boolean
  query?: z.ZodMiniType
  /** The route answers in Anthropic's error envelope instead of OpenAI's. */
  anthropic?: boolean
  /** 200 unless said otherwise. */
  status?: number
  stream?: boolean
}

type JsonObject = Record<string, unknown>

function routes(): Route[] {
  const { MessagesRequest, CountTokensRequest } = anthropicSchemas()
  const tenant = (route: Omit<Route, 'security'>): Route => ({ ...route, security: 'tenant' })
  const admin = (route: Omit<Route, 'security' | 'tag'>): Route => ({
    ...route,
    security: 'admin',
    tag: 'admin',
  })
  return [
    { method: 'get', path: '/healthz', summary: 'Liveness', tag: 'health', security: 'none' },
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This document',
      tag: 'health',
      security: 'none',
    },
    tenant({
      method: 'post',
      path: '/v1/chat/completions',
      summary: 'Chat completion (OpenAI), JSON or stream',
      tag: 'openai',
      body: ChatRequestSchema(),
      stream: true,
    }),
    tenant({
      method: 'post',
      path: '/v1/embeddings',
      summary: 'Embeddings (OpenAI)',
      tag: 'openai',
      body: EmbeddingsRequestSchema(),
    }),
    tenant({
      method: 'get',
      path: '/v1/models',
      summary: 'Models this key may use',
      tag: 'openai',
    }),
    tenant({ method: 'get', path: '/v1/models/{id}', summary: 'One model', tag: 'openai' }),
    tenant({
      method: 'post',
      path: '/v1/client_tokens',
      summary: 'Mint a short-lived client token for a browser or mobile end user',
      tag: 'end-users',
      body: MintRequestSchema(),
    }),
    tenant({
      method: 'post',
      path: '/v1/messages',
      summary: 'Message (Anthropic Messages API), JSON or stream',
      tag: 'anthropic',
      body: MessagesRequest,
      anthropic: true,
      stream: true,
    }),
    tenant({
      method: 'post',
      path: '/v1/messages/count_tokens',
      summary: 'Count input tokens (estimate)',
      tag: 'anthropic',
      body: CountTokensRequest,
      anthropic: true,
    }),
    tenant({
      method: 'post',
      path: '/v1/responses',
      summary: 'Create a response (Responses API), JSON or stream',
      tag: 'responses',
      body: ResponsesRequestSchema(),
      stream: true,
    }),
    tenant({
      method: 'get',
      path: '/v1/responses/{id}',
      summary: 'A stored response; a background one as it stands, or its events (stream=true)',
      tag: 'responses',
      query: RetrieveQuerySchema(),
      stream: true,
    }),
    tenant({
      method: 'post',
      path: '/v1/responses/{id}/cancel',
      summary: 'Cancel a background response',
      tag: 'responses',
    }),
    tenant({
      method: 'get',
      path: '/v1/responses/{id}/input_items',
      summary: 'Input items of a stored response',
      tag: 'responses',
      query: ItemsQuerySchema(),
    }),
    tenant({
      method: 'delete',
      path: '/v1/responses/{id}',
      summary: 'Delete a stored response',
      tag: 'responses',
    }),
    tenant({
      method: 'post',
      path: '/v1/conversations',
      summary: 'Create a conversation',
      tag: 'responses',
      body: CreateConversationSchema(),
    }),
    tenant({
      method: 'get',
      path: '/v1/conversations/{id}',
      summary: 'A conversation',
      tag: 'responses',
    }),
    tenant({
      method: 'post',
      path: '/v1/conversations/{id}',
      summary: 'Update a conversation',
      tag: 'responses',
      body: UpdateConversationSchema(),
    }),
    tenant({
      method: 'delete',
      path: '/v1/conversations/{id}',
      summary: 'Delete a conversation and its items',
      tag: 'responses',
    }),
    tenant({
      method: 'post',
      path: '/v1/conversations/{id}/items',
      summary: 'Add items',
      tag: 'responses',
      body: AddItemsSchema(),
    }),
    tenant({
      method: 'get',
      path: '/v1/conversations/{id}/items',
      summary: 'List items',
      tag: 'responses',
      query: ItemsQuerySchema(),
    }),
    tenant({
      method: 'get',
      path: '/v1/conversations/{id}/items/{item}',
      summary: 'One item',
      tag: 'responses',
    }),
    tenant({
      method: 'delete',
      path: '/v1/conversations/{id}/items/{item}',
      summary: 'Delete an item',
      tag: 'responses',
    }),
    tenant({
      method: 'post',
      path: '/v1/feedback',
      summary: 'Rate one of your own requests',
      tag: 'observability',
      body: FeedbackSchema(),
    }),
    tenant({
      method: 'post',
      path: '/v1/hooks',
      summary: 'Create an inbound hook (its secret is shown once)',
      tag: 'hooks',
      body: CreateHookSchema(),
      status: 201,
    }),
    tenant({ method: 'get', path: '/v1/hooks', summary: 'List own hooks', tag: 'hooks' }),
    ...hookItemRoutes('/v1/hooks/{id}', (route) => tenant({ ...route, tag: 'hooks' })),
    {
      method: 'post',
      path: '/hooks/{id}',
      summary:
        'Deliver an event to a hook (GitHub, Stripe, Slack, Standard Webhooks or bearer), verified by its own signature; 202 with the background response id',
      tag: 'hooks',
      security: 'none',
      status: 202,
    },
    tenant({
      method: 'get',
      path: '/v1/usage',
      summary: 'Own usage',
      tag: 'usage',
      query: UsageQuerySchema(),
    }),
    tenant({
      method: 'delete',
      path: '/v1/cache',
      summary: 'Purge own cached answers',
      tag: 'cache',
    }),
    tenant({
      method: 'post',
      path: '/v1/collections',
      summary: 'Create a collection',
      tag: 'retrieval',
      body: CreateCollectionSchema(),
      status: 201,
    }),
    tenant({
      method: 'get',
      path: '/v1/collections',
      summary: 'List collections',
      tag: 'retrieval',
    }),
    tenant({
      method: 'get',
      path: '/v1/collections/{collection}',
      summary: 'One collection',
      tag: 'retrieval',
    }),
    tenant({
      method: 'delete',
      path: '/v1/collections/{collection}',
      summary: 'Delete a collection and its documents',
      tag: 'retrieval',
    }),
    tenant({
      method: 'post',
      path: '/v1/collections/{collection}/documents',
      summary: 'Add documents (JSON, one or many, or a multipart upload)',
      tag: 'retrieval',
      body: z.union([DocumentsSchema(), DocumentInputSchema()]),
      multipart: true,
      status: 201,
    }),
    tenant({
      method: 'get',
      path: '/v1/collections/{collection}/documents',
      summary: 'List documents',
      tag: 'retrieval',
      query: ListQuerySchema(),
    }),
    tenant({
      method: 'get',
      path: '/v1/collections/{collection}/documents/{id}',
      summary: 'One document',
      tag: 'retrieval',
    }),
    tenant({
      method: 'delete',
      path: '/v1/collections/{collection}/documents/{id}',
      summary: 'Delete a document',
      tag: 'retrieval',
    }),
    tenant({
      method: 'post',
      path: '/v1/collections/{collection}/search',
      summary: 'Search a collection',
      tag: 'retrieval',
      body: SearchSchema(),
    }),
    admin({
      method: 'post',
      path: '/admin/tenants',
      summary: 'Create a tenant',
      body: CreateTenantSchema(),
      status: 201,
    }),
    admin({ method: 'get', path: '/admin/tenants', summary: 'List tenants' }),
    admin({ method: 'get', path: '/admin/tenants/{id}', summary: 'One tenant' }),
    admin({
      method: 'patch',
      path: '/admin/tenants/{id}',
      summary: 'Update a tenant',
      body: UpdateTenantSchema(),
    }),
    admin({ method: 'delete', path: '/admin/tenants/{id}', summary: 'Erase a tenant' }),
    admin({
      method: 'get',
      path: '/admin/tenants/{id}/usage',
      summary: 'A tenant\u2019s usage',
      query: UsageQuerySchema(),
    }),
    admin({
      method: 'post',
      path: '/admin/tenants/{id}/keys',
      summary: 'Create a key',
      body: CreateKeySchema(),
      status: 201,
    }),
    admin({
      method: 'get',
      path: '/admin/tenants/{id}/keys',
      summary: 'List a tenant\u2019s keys',
    }),
    admin({
      method: 'delete',
      path: '/admin/tenants/{id}/cache',
      summary: 'Purge a tenant\u2019s cache',
    }),
    admin({
      method: 'get',
      path: '/admin/tenants/{id}/subjects/{subject}/export',
      summary: "Export an end user's or key's stored responses and conversations",
    }),
    admin({
      method: 'delete',
      path: '/admin/tenants/{id}/subjects/{subject}',
      summary: "Erase an end user's or key's stored responses and conversations",
    }),
    admin({
      method: 'get',
      path: '/admin/tenants/{id}/feedback',
      summary: "Feedback on a tenant's requests (JSON, JSONL or CSV)",
      query: FeedbackQuerySchema(),
    }),
    admin({ method: 'get', path: '/admin/tenants/{id}/hooks', summary: 'A tenant\u2019s hooks' }),
    ...hookItemRoutes('/admin/tenants/{id}/hooks/{hook}', admin),
    admin({ method: 'get', path: '/metrics', summary: 'Metrics in the Prometheus text format' }),
    admin({
      method: 'get',
      path: '/admin/metrics/series',
      summary: 'Metrics over time per minute, hour or day, one tenant or all (the dashboard)',
      query: SeriesQuerySchema(),
    }),
    admin({
      method: 'get',
      path: '/admin/metrics/failures',
      summary: 'Recent failed requests, one tenant or all (the dashboard)',
      query: FailuresQuerySchema(),
    }),
    admin({
      method: 'get',
      path: '/admin/metrics/budgets',
      summary: 'Spend this month against the monthly caps (the dashboard)',
      query: BudgetsQuerySchema(),
    }),
    admin({ method: 'delete', path: '/admin/keys/{keyId}', summary: 'Revoke a key' }),
    admin({
      method: 'post',
      path: '/admin/keys/{keyId}/rotate',
      summary: 'Rotate a key',
      body: RotateKeySchema(),
    }),
    ...webhookRoutes('/v1/webhooks/endpoints', tenant),
    ...webhookRoutes('/admin/tenants/{id}/webhooks/endpoints', admin),
  ]
}

/** The endpoint API, the same under the tenant's and the admin's prefix. */
function webhookRoutes(
  base: string,
  route: (route: Omit<Route, 'security' | 'tag'> & { tag: string }) => Route
): Route[] {
  const one = `${base}/{endpointId}`
  const tag = 'webhooks'
  return [
    route({
      method: 'post',
      path: base,
      summary: 'Register a webhook endpoint (the answer shows its secret, once)',
      tag,
      body: CreateEndpointSchema(),
      status: 201,
    }),
    route({ method: 'get', path: base, summary: 'List webhook endpoints', tag }),
    route({ method: 'get', path: one, summary: 'One webhook endpoint', tag }),
    route({
      method: 'patch',
      path: one,
      summary: 'Change or enable/disable a webhook endpoint',
      tag,
      body: UpdateEndpointSchema(),
    }),
    route({ method: 'delete', path: one, summary: 'Delete a webhook endpoint', tag }),
    route({
      method: 'post',
      path: `${one}/rotate`,
      summary: 'Rotate the signing secret, with a grace period',
      tag,
      body: RotateSecretSchema(),
    }),
    route({
      method: 'get',
      path: `${one}/deliveries`,
      summary: 'Delivery attempts, newest first',
      tag,
      query: AttemptsQuerySchema(),
    }),
    route({
      method: 'post',
      path: `${one}/deliveries/{messageId}/replay`,
      summary: 'Deliver a message again, with the same webhook-id',
      tag,
      status: 202,
    }),
  ]
}

/** One hook's read, update and delete: the tenant's API and the admin's have the same three. */
function hookItemRoutes(
  path: string,
  make: (route: Omit<Route, 'security' | 'tag'>) => Route
): Route[] {
  return [
    make({ method: 'get', path, summary: 'One hook' }),
    make({
      method: 'post',
      path,
      summary: 'Update a hook (enabled: false disables it)',
      body: UpdateHookSchema(),
    }),
    make({ method: 'delete', path, summary: 'Delete a hook' }),
  ]
}

/** Request schemas describe what a client may send: the input side of defaults and transforms. */
function jsonSchema(schema: z.ZodMiniType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  })
  return rest
}

function queryParameters(schema: z.ZodMiniType): JsonObject[] {
  const object = jsonSchema(schema)
  const properties = isRecord(object.properties) ? object.properties : {}
  const required = new Set(Array.isArray(object.required) ? object.required : [])
  return Object.entries(properties).map(([name, value]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: value,
  }))
}

function operation(route: Route): JsonObject {
  const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }))
  const parameters = [...pathParameters, ...(route.query ? queryParameters(route.query) : [])]
  const error = { $ref: `#/components/responses/${route.anthropic ? 'AnthropicError' : 'Error'}` }
  const success = route.stream
    ? {
        'application/json': { schema: { type: 'object' } },
        'text/event-stream': { schema: { type: 'string' } },
      }
    : { 'application/json': { schema: { type: 'object' } } }
  return {
    operationId: `${route.method} ${route.path}`.replace(/[^A-Za-z0-9]+/g, '_'),
    summary: route.summary,
    tags: [route.tag],
    ...(route.security === 'none'
      ? { security: [] }
      : {
          security:
            route.security === 'admin' ? [{ adminToken: [] }] : [{ bearer: [] }, { apiKey: [] }],
        }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: jsonSchema(route.body) },
              ...(route.multipart ? { 'multipart/form-data': { schema: { type: 'object' } } } : {}),
            },
          },
        }
      : {}),
    responses: {
      [String(route.status ?? 200)]: { description: 'Success', content: success },
      default: error,
    },
  }
}

function build(): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {}
  for (const route of routes()) {
    paths[route.path] ??= {}
    const item = paths[route.path]
    if (item) item[route.method] = operation(route)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Edge LLM gateway',
      version: '0.1.0',
      description:
        'OpenAI- and Anthropic-compatible gateway: tenant keys, limits and budgets, exact and semantic caching, retrieval.',
    },
    servers: [{ url: '/' }],
    tags: [
      'openai',
      'anthropic',
      'end-users',
      'hooks',
      'retrieval',
      'usage',
      'cache',
      'admin',
      'health',
    ].map((name) => ({
      name,
    })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A gateway key (sk-gw-...)' },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'A gateway key, as Anthropic clients send it',
        },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The deployment\u2019s ADMIN_TOKEN',
        },
      },
      responses: {
        Error: {
          description: 'OpenAI error envelope',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['error'],
                properties: {
                  error: {
                    type: 'object',
                    required: ['message', 'type'],
                    properties: {
                      message: { type: 'string' },
                      type: { type: 'string' },
                      param: { type: ['string', 'null'] },
                      code: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            },
          },
        },
        AnthropicError: {
          description: 'Anthropic error envelope',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['type', 'error'],
                properties: {
                  type: { const: 'error' },
                  error: {
                    type: 'object',
                    required: ['type', 'message'],
                    properties: { type: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
  }
}

/** The document as JSON text, serialised once per isolate. */
export const openApiDocument = lazy(() => JSON.stringify(build()))
