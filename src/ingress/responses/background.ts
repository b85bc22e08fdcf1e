/**
 * @module
 * Background responses (`background: true`): the create answers at once with the Response in
 * status `queued`, and the work runs on the JOBS queue.
 */
import type { GatewayDeps } from '../../deps'
import type { EndUser } from '../../end-users/types'
import { GatewayError } from '../../errors'
import type { ApiKeyContext, TenantContext } from '../../tenancy/types'
import type { ResponseObject } from './response-object'
import type { ResponsesRequest } from './schema'

/** Who a background response runs for: the same caller the foreground path authenticates. */
export type BackgroundCaller = { tenant: TenantContext; apiKey: ApiKeyContext; endUser?: EndUser }

export type BackgroundOptions = {
  /** A retried start with the same key returns the same response (kept 24 h per tenant + key). */
  idempotencyKey?: string
  /** The inbound hook this response answers: its terminal status is also a `hook.*` event. */
  hookId?: string
}

/** Stores the job, queues it and returns the `queued` Response object. */
export async function startBackgroundResponse(
  _deps: GatewayDeps,
  _caller: BackgroundCaller,
  _request: ResponsesRequest,
  _options: BackgroundOptions = {}
): Promise<ResponseObject> {
  throw new GatewayError(501, 'Background responses are not available yet.', {
    code: 'not_implemented',
  })
}
