/**
 * @module
 * Standard Webhooks signing (spec v1.0.0, symmetric scheme): a `whsec_` secret is base64 of
 * random bytes; a signature is `v1,` + base64 HMAC-SHA256, keyed with the decoded bytes, over
 * `{webhook-id}.{webhook-timestamp}.{body}`. Several secrets (a rotation's grace period) give
 * several space-separated entries, and a receiver accepts any one that matches.
 */

const SECRET_PREFIX = 'whsec_'
/** The spec allows 24 to 64 bytes; 32 is the HMAC-SHA256 block-size sweet spot. */
const SECRET_BYTES = 32
const encoder = new TextEncoder()

export function generateWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES))
  return `${SECRET_PREFIX}${btoa(String.fromCharCode(...bytes))}`
}

function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const base64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
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
        secretBytes(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign']
      )
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, content))
      return `v1,${btoa(String.fromCharCode(...mac))}`
    })
  )
  return entries.join(' ')
}
