import type { MiddlewareHandler } from 'hono'
import { loadConfig } from '../config'
import type { AppEnv } from '../env'

/** Every route behind it reads the validated configuration from `c.var.config`. */
export function gatewayConfig(): MiddlewareHandler<AppEnv> {
  return async function gatewayConfig(c, next) {
    c.set('config', loadConfig(c.env))
    await next()
  }
}
