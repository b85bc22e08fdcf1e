/**
 * @module
 * The admin API, mounted at /admin: tenants, their keys and their usage. Admin-token only; tenant
 * keys never open it.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../../env'
import { adminAuth } from './auth'
import { keyRoutes, tenantKeyRoutes } from './keys'
import { tenantRoutes } from './tenants'

export const adminRoutes = new Hono<AppEnv>()
  .use('*', adminAuth())
  .route('/tenants/:id/keys', tenantKeyRoutes)
  .route('/tenants', tenantRoutes)
  .route('/keys', keyRoutes)
