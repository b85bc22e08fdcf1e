/**
 * @module
 * Which code runs each kind of job, built once per isolate from the same dependencies as the app.
 */
import type { GatewayDeps } from '../deps'
import { backgroundRunner } from '../ingress/responses/background-run'
import type { JobHandlers } from './consumer'

export function jobHandlers(deps: GatewayDeps): JobHandlers {
  const unhandled = async () => {
    deps.report('job without a handler', new Error('no handler'))
    return { retrySeconds: 60 }
  }
  return { response: backgroundRunner(deps), delivery: unhandled }
}
