/**
 * @module
 * Standard Webhooks signing (spec v1.0.0, symmetric scheme): a `whsec_` secret is base64 of
 * random bytes; a signature is `v1,` + base64 HMAC-SHA256, keyed with the decoded bytes, over
 * `{webhook-id}.{webhook-timestamp}.{body}`. Several secrets (a rotation's grace period) give
 * several space-separated entries, and a receiver accepts any one that matches.
 */

import { fromBase64, toBase64 } from '../lib/crypto'

const SECRET_PREFIX = 'whsec_'
/** The spec allows 24 to 64 bytes; 32 is the HMAC-SHA256 block-size sweet spot. */
const SECRET_BYTES = 32
const encoder = new TextEncoder()

/** A new `whsec_` secret, for our endpoints and for inbound hooks that verify the same scheme. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`
}

/** `whsec_` followed by the base64 key; the prefix is optional, as the official libraries allow. */
export function standardWebhooksKey(secret: string): Uint8Array<ArrayBuffer> {
  const key = fromBase64(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  )
  return new Uint8Array(key)
}

/** The `webhook-signature` header value: one `v1,<base64>` entry per secret, in order. */
export async function signWebhook(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string
): Promise<string> {
  const content = encoder.encode(`${id}.${timestamp}.${body}`)
  const entries = await Promise.all(
    secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey(
        'raw',
        standardWebhooksKey(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign']
      )
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, content))
      return `v1,${toBase64(mac)}`
    })
  )
  return entries.join(' ')
}
