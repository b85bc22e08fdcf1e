import { Hono } from 'hono/tiny'
import { CHAT_ENDPOINT, chatCompletions } from '../../chat/pipeline'
import type { GatewayDeps } from '../../deps'
import { EMBEDDINGS_ENDPOINT, embeddings } from '../../embeddings/handler'
import { CLIENT_TOKENS_PATH, mintClientToken } from '../../end-users/mint'
import type { TenantEnv } from '../../env'
import { HOOKS_PATH, hookRoutes } from '../../hooks/routes'
import { anthropicRoutes } from '../../ingress/anthropic/routes'
import { conversationsRoutes, responsesRoutes } from '../../ingress/responses/routes'
import { cors } from '../../middleware/cors'
import { feedbackRoutes } from '../../observability/feedback'
import { tenantAuth } from '../../tenancy/auth'
import { tenantWebhookRoutes } from '../../webhooks/routes'
import { cacheRoutes } from './cache'
import { collectionsRoutes } from './collections'
import { modelsRoutes } from './models'
import { usageRoutes } from './usage'

const V1 = '/v1'

/** The OpenAI-compatible surface, mounted at /v1; every route behind CORS and tenant auth. */
export function v1Routes(deps: GatewayDeps): Hono<TenantEnv> {
  return (
    new Hono<TenantEnv>()
      // Before authentication: a preflight carries no credential.
      .use('*', cors({ origins: deps.origins }))
      .use('*', tenantAuth({ redis: deps.redis }))
      .post(CHAT_ENDPOINT.slice(V1.length), chatCompletions(deps))
      .post(EMBEDDINGS_ENDPOINT.slice(V1.length), embeddings(deps))
      .post(CLIENT_TOKENS_PATH, mintClientToken())
      .route('/cache', cacheRoutes(deps))
      .route('/collections', collectionsRoutes)
      .route('/responses', responsesRoutes(deps))
      .route('/conversations', conversationsRoutes(deps))
      .route('/feedback', feedbackRoutes(deps))
      .route(HOOKS_PATH, hookRoutes(deps))
      .route('/webhooks/endpoints', tenantWebhookRoutes(deps))
      .route('/', modelsRoutes)
      .route('/', usageRoutes)
      .route('/', anthropicRoutes(deps))
  )
}
