import { GatewayError } from '../errors'
import type { PreparedTarget } from './dispatch'
import { retryAfterMs, UpstreamFailure } from './failure'

/**
 * Sends one attempt; a non-2xx answer becomes an `UpstreamFailure` carrying what it said.
 * Redirects are never followed: the SSRF guard vetted the target's URL, not wherever a
 * `Location` header points next (loopback, the metadata address), and the body would go with it.
 */
export async function callUpstream(
  request: Request,
  target: PreparedTarget,
  signal: AbortSignal
): Promise<Response> {
  const response = await fetch(request, { signal, redirect: 'manual' })
  if (response.ok) return response
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel()
    throw new GatewayError(
      502,
      `Upstream ${target.provider} answered with a redirect, which the gateway does not follow.`,
      { type: 'upstream_error', code: 'upstream_redirect' }
    )
  }
  const text = await response.text()
  throw new UpstreamFailure('status', `Upstream ${target.provider} returned ${response.status}`, {
    status: response.status,
    retryAfterMs: retryAfterMs(response.headers),
    detail: target.adapter.errorDetail(response.status, text),
  })
}
