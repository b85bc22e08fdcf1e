/**
 * @module
 * Who sent an inbound delivery. Each verifier checks its sender's published scheme over the exact
 * bytes received (never a re-serialised parse), with WebCrypto's HMAC verify, which compares in
 * constant time, and enforces the timestamp tolerance where the scheme signs a timestamp:
 *
 * | verifier | header(s) | signed bytes | MAC |
 * |---|---|---|---|
 * | `standard-webhooks` | `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64>` | `{id}.{ts}.{body}` | base64, key = base64 after `whsec_` |
 * | `github` | `X-Hub-Signature-256: sha256=<hex>` | body | hex, key = the secret's text |
 * | `stripe` | `Stripe-Signature: t=..,v1=..` | `{t}.{body}` | hex, key = the whole `whsec_…` text |
 * | `slack` | `X-Slack-Signature: v0=<hex>`, `X-Slack-Request-Timestamp` | `v0:{ts}:{body}` | hex, key = the secret's text |
 * | `bearer` | `Authorization: Bearer <token>` | nothing | constant-time comparison |
 *
 * A refusal throws a 401 whose code names the check that failed.
 */
import { GatewayError } from '../errors'
import { fromBase64, timingSafeEqualText } from '../lib/crypto'
import { standardWebhooksKey } from '../webhooks/signature'

export const VERIFIERS = ['standard-webhooks', 'github', 'stripe', 'slack', 'bearer'] as const
export type Verifier = (typeof VERIFIERS)[number]

export type Delivery = {
  headers: Headers
  /** The body exactly as received. */
  body: Uint8Array
  secret: string
  /** Epoch milliseconds. */
  now: number
  toleranceSeconds: number
}

/** The id the sender gave this delivery (a replay repeats it), or one made from the signature. */
export type VerifiedDelivery = { deliveryId: string | undefined }

const encoder = new TextEncoder()

export async function verifyDelivery(
  verifier: Verifier,
  delivery: Delivery
): Promise<VerifiedDelivery> {
  switch (verifier) {
    case 'standard-webhooks':
      return verifyStandardWebhooks(delivery)
    case 'github':
      return verifyGitHub(delivery)
    case 'stripe':
      return verifyStripe(delivery)
    case 'slack':
      return verifySlack(delivery)
    case 'bearer':
      return verifyBearer(delivery)
  }
}

async function verifyStandardWebhooks(delivery: Delivery): Promise<VerifiedDelivery> {
  const id = required(delivery.headers, 'webhook-id')
  const timestamp = required(delivery.headers, 'webhook-timestamp')
  const signatures = required(delivery.headers, 'webhook-signature')
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decodeBase64(entry.slice(3)))
  const key = await hmacKey(standardWebhooksKey(delivery.secret))
  const signed = concat(encoder.encode(`${id}.${timestamp}.`), delivery.body)
  await requireMatch(key, signatures, signed)
  checkTolerance(timestamp, delivery)
  return { deliveryId: id }
}

async function verifyGitHub(delivery: Delivery): Promise<VerifiedDelivery> {
  const header = required(delivery.headers, 'x-hub-signature-256')
  const signature = header.startsWith('sha256=') ? decodeHex(header.slice(7)) : undefined
  const key = await hmacKey(encoder.encode(delivery.secret))
  await requireMatch(key, [signature], delivery.body)
  return { deliveryId: delivery.headers.get('x-github-delivery') ?? header }
}

async function verifyStripe(delivery: Delivery): Promise<VerifiedDelivery> {
  const header = required(delivery.headers, 'stripe-signature')
  const fields = header.split(',').map((field) => {
    const eq = field.indexOf('=')
    return eq < 0 ? ['', ''] : [field.slice(0, eq).trim(), field.slice(eq + 1).trim()]
  })
  const timestamp = fields.find(([name]) => name === 't')?.[1]
  if (timestamp === undefined) throw refused('Stripe-Signature carries no t=.', 'missing_signature')
  const signatures = fields.filter(([name]) => name === 'v1').map(([, value]) => value ?? '')
  const key = await hmacKey(encoder.encode(delivery.secret))
  const signed = concat(encoder.encode(`${timestamp}.`), delivery.body)
  await requireMatch(key, signatures.map(decodeHex), signed)
  checkTolerance(timestamp, delivery)
  return { deliveryId: `${timestamp}.${signatures.join('.')}` }
}

async function verifySlack(delivery: Delivery): Promise<VerifiedDelivery> {
  const timestamp = required(delivery.headers, 'x-slack-request-timestamp')
  const header = required(delivery.headers, 'x-slack-signature')
  const signature = header.startsWith('v0=') ? decodeHex(header.slice(3)) : undefined
  const key = await hmacKey(encoder.encode(delivery.secret))
  const signed = concat(encoder.encode(`v0:${timestamp}:`), delivery.body)
  await requireMatch(key, [signature], signed)
  checkTolerance(timestamp, delivery)
  return { deliveryId: `${timestamp}:${header}` }
}

async function verifyBearer(delivery: Delivery): Promise<VerifiedDelivery> {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(required(delivery.headers, 'authorization'))
  if (!match?.[1] || !(await timingSafeEqualText(match[1], delivery.secret))) {
    throw refused('The bearer token does not match the hook.', 'invalid_signature')
  }
  // The scheme signs nothing of the delivery: an id is whatever the sender chose to send.
  const id = delivery.headers.get('idempotency-key') ?? delivery.headers.get('webhook-id')
  return { deliveryId: id ?? undefined }
}

function hmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
}

/** Every candidate is checked: which one matched (or how many were tried) says nothing timed. */
async function requireMatch(
  key: CryptoKey,
  signatures: readonly (Uint8Array | undefined)[],
  signed: Uint8Array
): Promise<void> {
  const results = await Promise.all(
    signatures.map((signature) =>
      signature ? crypto.subtle.verify('HMAC', key, signature, signed) : false
    )
  )
  if (!results.includes(true)) {
    throw refused('The signature does not match the body and the hook secret.', 'invalid_signature')
  }
}

function checkTolerance(timestamp: string, delivery: Delivery): void {
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN
  if (!(Math.abs(delivery.now / 1000 - seconds) <= delivery.toleranceSeconds)) {
    throw refused(
      `The delivery timestamp is not within ${delivery.toleranceSeconds} s of the gateway's clock.`,
      'timestamp_out_of_tolerance'
    )
  }
}

function required(headers: Headers, name: string): string {
  const value = headers.get(name)
  if (value === null || value === '') throw refused(`Missing ${name} header.`, 'missing_signature')
  return value
}

function refused(message: string, code: string): GatewayError {
  return new GatewayError(401, message, { code })
}

function decodeHex(hex: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16))
}

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    return fromBase64(text)
  } catch {
    return undefined
  }
}

function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const joined = new Uint8Array(head.byteLength + tail.byteLength)
  joined.set(head)
  joined.set(tail, head.byteLength)
  return joined
}
