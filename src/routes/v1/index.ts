import { Hono } from 'hono/tiny'
import { CHAT_ENDPOINT, chatCompletions } from '../../chat/pipeline'
import type { GatewayDeps } from '../../deps'
import type { AppEnv } from '../../env'
import { EMBEDDINGS_ENDPOINT, embeddings } from '../../gateway/embeddings'
import { anthropicRoutes } from '../../ingress/anthropic/routes'
import { cacheRoutes } from './cache'
import { collectionsRoutes } from './collections'
import { modelsRoutes } from './models'
import { usageRoutes } from './usage'

const V1 = '/v1'

/** The OpenAI-compatible surface; mounted at /v1 behind tenant auth. */
export function v1Routes(deps: GatewayDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .post(CHAT_ENDPOINT.slice(V1.length), chatCompletions(deps))
    .post(EMBEDDINGS_ENDPOINT.slice(V1.length), embeddings(deps))
    .route('/cache', cacheRoutes)
    .route('/collections', collectionsRoutes)
    .route('/', modelsRoutes)
    .route('/', usageRoutes)
    .route('/', anthropicRoutes(deps))
}
