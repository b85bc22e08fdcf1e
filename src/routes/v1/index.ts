import { Hono } from 'hono/tiny'
import type { AppEnv } from '../../env'
import { chatCompletions } from '../../gateway/chat'
import { embeddings } from '../../gateway/embeddings'
import { cacheRoutes } from './cache'
import { collectionsRoutes } from './collections'
import { modelsRoutes } from './models'
import { usageRoutes } from './usage'

/** The OpenAI-compatible surface; mounted behind tenant auth. */
export const v1Routes = new Hono<AppEnv>()
  .post('/chat/completions', chatCompletions)
  .post('/embeddings', embeddings)
  .route('/cache', cacheRoutes)
  .route('/collections', collectionsRoutes)
  .route('/', modelsRoutes)
  .route('/', usageRoutes)
