/**
 * @module
 * Which code runs each kind of job, built once per isolate from the same dependencies as the app.
 */
import type { GatewayDeps } from '../deps'
import { backgroundRunner } from '../ingress/responses/background-run'
import { deliveryHandler } from '../webhooks/delivery'
import type { JobHandlers } from './consumer'

export function jobHandlers(deps: GatewayDeps): JobHandlers {
  return {
    response: backgroundRunner(deps),
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
