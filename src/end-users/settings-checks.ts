/**
 * @module
 * The checks on `end_users` a schema cannot make: the JWKS URL passes the same SSRF guard as
 * tenant base URLs when it is set (and again on every fetch, src/end-users/jwks.ts).
 */
import { GatewayError } from '../errors'
import { type UpstreamUrlPolicy, unsafeUpstreamReason } from '../lib/ssrf'
import type { EndUserSettings } from './settings'

export function checkEndUserUrls(
  policy: UpstreamUrlPolicy,
  settings: EndUserSettings | undefined
): void {
  const url = settings?.jwt?.jwks_url
  const reason = url === undefined ? undefined : unsafeUpstreamReason(url, policy)
  if (reason) {
    throw new GatewayError(400, `The JWKS URL ${reason}.`, {
      param: 'config.end_users.jwt.jwks_url',
      code: 'unsafe_upstream_url',
    })
  }
}
