import { Hono } from 'hono/tiny'
import { CHAT_ENDPOINT, chatCompletions } from '../../chat/pipeline'
import type { GatewayDeps } from '../../deps'
import { EMBEDDINGS_ENDPOINT, embeddings } from '../../embeddings/handler'
import type { TenantEnv } from '../../env'
import { feedbackRoutes } from '../../observability/feedback'
import { tenantAuth } from '../../tenancy/auth'
import { cacheRoutes } from './cache'
import { collectionsRoutes } from './collections'
import { modelsRoutes } from './models'
import { usageRoutes } from './usage'

const V1 = '/v1'

/** The OpenAI-compatible surface, mounted at /v1; every route behind tenant auth. */
export function v1Routes(deps: GatewayDeps): Hono<TenantEnv> {
  return new Hono<TenantEnv>()
    .use('*', tenantAuth({ redis: deps.redis }))
    .post(CHAT_ENDPOINT.slice(V1.length), chatCompletions(deps))
    .post(EMBEDDINGS_ENDPOINT.slice(V1.length), embeddings(deps))
    .route('/cache', cacheRoutes(deps))
    .route('/collections', collectionsRoutes)
    .route('/feedback', feedbackRoutes(deps))
    .route('/', modelsRoutes)
    .route('/', usageRoutes)
}
