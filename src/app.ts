/**
 * @module
 * Wires the request path: request id -> configuration -> routes (each with its own auth and
 * limits) -> gateway pipeline -> provider adapter -> response. Failures end in `onError`.
 */
import { Hono } from 'hono/tiny'
import type { AppEnv } from './env'
import { errorHandler, notFoundHandler } from './middleware/error-handler'
import { gatewayConfig } from './middleware/gateway-config'
import { requestId } from './middleware/request-id'
import { securityHeaders } from './middleware/security-headers'
import { adminRoutes } from './routes/admin'
import { healthRoutes } from './routes/health'
import { v1Routes } from './routes/v1'
import { tenantAuth } from './tenancy/auth'

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use('*', securityHeaders())
  app.use('*', requestId())
  // Liveness answers before configuration is read: it must not depend on secrets being right.
  app.route('/', healthRoutes)
  app.use('*', gatewayConfig())
  app.route('/admin', adminRoutes)
  app.use('/v1/*', tenantAuth())
  app.route('/v1', v1Routes)
  app.onError(errorHandler())
  app.notFound(notFoundHandler())
  return app
}
