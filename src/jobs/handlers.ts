/**
 * @module
 * Which code runs each kind of job, built once per isolate from the same dependencies as the app.
 */
import type { GatewayDeps } from '../deps'
import { deliveryHandler } from '../webhooks/delivery'
import type { JobHandlers } from './consumer'

export function jobHandlers(deps: GatewayDeps): JobHandlers {
  const unhandled = async () => {
    deps.report('job without a handler', new Error('no handler'))
    return { retrySeconds: 60 }
  }
  return {
    response: unhandled,
    delivery: deliveryHandler({
      redis: deps.redis,
      endpoints: deps.webhooks,
      settings: deps.config.webhooks,
      urlPolicy: deps.config,
      clock: deps.clock,
      report: deps.report,
    }),
  }
}
