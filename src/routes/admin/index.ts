/**
 * @module
 * The admin API, mounted at /admin: tenants, their keys, usage and cache. Admin-token only; tenant
 * keys never open it.
 */
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../../env'
import { adminAuth } from './auth'
import { tenantCacheRoutes } from './cache'
import { keyRoutes, tenantKeyRoutes } from './keys'
import { tenantRoutes } from './tenants'

export const adminRoutes = new Hono<AppEnv>()
  .use('*', adminAuth())
  .route('/tenants/:id/keys', tenantKeyRoutes)
  .route('/tenants/:id/cache', tenantCacheRoutes)
  .route('/tenants', tenantRoutes)
  .route('/keys', keyRoutes)
