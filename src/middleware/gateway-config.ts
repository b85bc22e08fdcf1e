import type { MiddlewareHandler } from 'hono'
import type { GatewayConfig } from '../config'
import type { AppEnv } from '../env'

/** Every route behind it reads the validated configuration from `c.var.config`. */
export function gatewayConfig(options: { config: GatewayConfig }): MiddlewareHandler<AppEnv> {
  const { config } = options
  return async function gatewayConfig(c, next) {
    c.set('config', config)
    await next()
  }
}
