import { Hono } from 'hono/tiny'
import type { AppEnv } from '../env'
import { openApiDocument } from '../openapi/document'

/** `GET /openapi.json`: public, like the liveness check; it describes routes, not tenants. */
export const openApiRoutes = new Hono<AppEnv>().get('/openapi.json', (c) =>
  c.body(openApiDocument(), 200, { 'content-type': 'application/json; charset=utf-8' })
)
