/**
 * @module
 * Wires the request path: request id -> configuration -> routes (each with its own auth and
 * limits) -> the chat pipeline (src/chat/pipeline.ts) -> provider adapter -> response. Failures
 * end in `onError`. The app is built once per isolate from its dependencies.
 */
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from './deps'
import type { AppEnv } from './env'
import type { GatewayError } from './errors'
import { HOOKS_PATH, hookDeliveryRoutes } from './hooks/routes'
import { errorHandler, notFoundHandler } from './middleware/error-handler'
import { gatewayConfig } from './middleware/gateway-config'
import { requestId } from './middleware/request-id'
import { securityHeaders } from './middleware/security-headers'
import { observe } from './observability/middleware'
import { metricsRoutes } from './observability/route'
import { adminRoutes } from './routes/admin'
import { healthRoutes } from './routes/health'
import { openApiRoutes } from './routes/openapi'
import { v1Routes } from './routes/v1'

function base(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use('*', securityHeaders())
  app.use('*', requestId())
  // Liveness answers before configuration is read: it must not depend on secrets being right.
  app.route('/', healthRoutes)
  app.route('/', openApiRoutes)
  app.onError(errorHandler())
  app.notFound(notFoundHandler())
  return app
}

export function createApp(deps: GatewayDeps): Hono<AppEnv> {
  const app = base()
  app.use('*', gatewayConfig({ config: deps.config }))
  app.use('*', observe(deps))
  app.route('/admin', adminRoutes(deps))
  app.route('/metrics', metricsRoutes(deps))
  // Outside tenant auth: a delivery is authenticated by its own signature (src/hooks/signatures.ts).
  app.route(HOOKS_PATH, hookDeliveryRoutes(deps))
  app.route('/v1', v1Routes(deps))
  return app
}

/** What runs when the configuration is invalid: liveness, and the error for everything else. */
export function createMisconfiguredApp(error: GatewayError): Hono<AppEnv> {
  const app = base()
  app.use('*', async function misconfigured() {
    throw error
  })
  return app
}
