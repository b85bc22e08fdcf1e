/**
 * @module
 * The admin API, mounted at /admin: tenants, their keys, usage and cache, and the metrics the
 * dashboard reads. Admin-token only; tenant
 * keys never open it.
 */
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../../deps'
import type { AppEnv } from '../../env'
import { adminHookRoutes } from '../../hooks/routes'
import { subjectRoutes } from '../../ingress/responses/privacy'
import { dashboardApiRoutes } from '../../observability/dashboard-api'
import { tenantFeedbackRoutes } from '../../observability/feedback'
import { adminWebhookRoutes } from '../../webhooks/routes'
import { adminAuth } from './auth'
import { tenantCacheRoutes } from './cache'
import { keyRoutes, tenantKeyRoutes } from './keys'
import { tenantRoutes } from './tenants'

export function adminRoutes(deps: GatewayDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .use('*', adminAuth())
    .route('/tenants/:id/keys', tenantKeyRoutes)
    .route('/tenants/:id/cache', tenantCacheRoutes(deps))
    .route('/tenants/:id/subjects', subjectRoutes(deps))
    .route('/tenants/:id/feedback', tenantFeedbackRoutes(deps))
    .route('/tenants/:id/webhooks/endpoints', adminWebhookRoutes(deps))
    .route('/tenants/:id/hooks', adminHookRoutes(deps))
    .route('/tenants', tenantRoutes(deps))
    .route('/keys', keyRoutes)
    .route('/metrics', dashboardApiRoutes(deps))
}
