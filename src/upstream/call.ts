import type { PreparedTarget } from './dispatch'
import { retryAfterMs, UpstreamFailure } from './failure'

/** Sends one attempt; a non-2xx answer becomes an `UpstreamFailure` carrying what it said. */
export async function callUpstream(
  request: Request,
  target: PreparedTarget,
  signal: AbortSignal
): Promise<Response> {
  const response = await fetch(request, { signal })
  if (response.ok) return response
  const text = await response.text()
  throw new UpstreamFailure('status', `Upstream ${target.provider} returned ${response.status}`, {
    status: response.status,
    retryAfterMs: retryAfterMs(response.headers),
    detail: target.adapter.errorDetail(response.status, text),
  })
}
