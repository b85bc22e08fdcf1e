import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../../env'
import { GatewayError } from '../../errors'
import { timingSafeEqualText } from '../../lib/crypto'

/** The admin API answers only to `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')
    const token = match?.[1]
    if (!token || !(await timingSafeEqualText(token, c.var.config.adminToken))) {
      throw new GatewayError(401, 'The admin API requires the admin token as a Bearer token.', {
        code: 'invalid_admin_token',
        headers: { 'www-authenticate': 'Bearer' },
      })
    }
    await next()
  }
}
