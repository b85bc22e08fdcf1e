/**
 * Bearer-token lookup in constant time: every configured token is compared, as SHA-256 digests
 * of equal length, whatever matched earlier, so timing reveals neither tokens nor which matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export class TokenRegistry<Grant> {
  readonly #entries: Array<{ digest: Buffer; grant: Grant }>

  constructor(entries: Array<{ token: string; grant: Grant }>) {
    for (const { token } of entries) {
      if (token.length === 0) throw new Error('Upstash Redis REST tokens must not be empty')
    }
    this.#entries = entries.map(({ token, grant }) => ({ digest: digest(token), grant }))
  }

  grantFor(token: string | undefined): Grant | undefined {
    if (!token) return undefined
    const presented = digest(token)
    let granted: Grant | undefined
    for (const entry of this.#entries) {
      if (timingSafeEqual(presented, entry.digest)) granted = entry.grant
    }
    return granted
  }
}

/** The token from `Authorization: Bearer …`, or from the `_token` query parameter Upstash allows. */
export function presentedToken(
  authorization: string | undefined,
  query: URLSearchParams
): string | undefined {
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1]
  return bearer ?? query.get('_token') ?? undefined
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}
