/**
 * Deliveries signed the way each sender signs them, from their published algorithms (GitHub's
 * "Validating webhook deliveries", Stripe's "Verify signatures manually", Slack's "Verifying
 * requests from Slack") on plain WebCrypto, and the official `standardwebhooks` package for
 * Standard Webhooks senders. Nothing here is the gateway's code.
 */
import { Webhook } from 'standardwebhooks'

const encoder = new TextEncoder()

export async function hmacHex(key: string, message: string): Promise<string> {
  const imported = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign']
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', imported, encoder.encode(message)))
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

export const nowSeconds = () => Math.floor(Date.now() / 1000)

export async function githubHeaders(
  secret: string,
  body: string,
  delivery: string = crypto.randomUUID()
): Promise<Record<string, string>> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'issues',
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${await hmacHex(secret, body)}`,
  }
}

export async function stripeHeaders(
  secret: string,
  body: string,
  t: number = nowSeconds()
): Promise<Record<string, string>> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'stripe-signature': `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`,
  }
}

export async function slackHeaders(
  secret: string,
  body: string,
  ts: number = nowSeconds(),
  contentType = 'application/json'
): Promise<Record<string, string>> {
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${await hmacHex(secret, `v0:${ts}:${body}`)}`,
  }
}

export function standardWebhooksHeaders(
  secret: string,
  body: string,
  id = `msg_${crypto.randomUUID()}`,
  at: Date = new Date()
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  }
}
