import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../src/errors'
import { type Delivery, type Verifier, verifyDelivery } from '../../src/hooks/signatures'
import {
  githubHeaders,
  nowSeconds,
  slackHeaders,
  standardWebhooksHeaders,
  stripeHeaders,
} from './senders'

const encoder = new TextEncoder()
const TOLERANCE = 300

function delivery(
  secret: string,
  headers: Record<string, string>,
  body: string,
  now = Date.now()
): Delivery {
  return {
    headers: new Headers(headers),
    body: encoder.encode(body),
    secret,
    now,
    toleranceSeconds: TOLERANCE,
  }
}

/** The 401's code, or 'accepted'. */
async function outcome(verifier: Verifier, input: Delivery): Promise<string> {
  try {
    await verifyDelivery(verifier, input)
    return 'accepted'
  } catch (error) {
    if (error instanceof GatewayError && error.status === 401) return String(error.code)
    throw error
  }
}

describe('github', () => {
  const secret = "It's a Secret to Everybody"

  it("reproduces GitHub's documented example exactly", async () => {
    const headers = await githubHeaders(secret, 'Hello, World!', 'delivery-1')
    expect(headers['x-hub-signature-256']).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
    )
    const verified = await verifyDelivery('github', delivery(secret, headers, 'Hello, World!'))
    expect(verified.deliveryId).toBe('delivery-1')
  })

  it('refuses a tampered body, another secret, and a missing or malformed header', async () => {
    const headers = await githubHeaders(secret, 'Hello, World!')
    expect(await outcome('github', delivery(secret, headers, 'Hello, World?'))).toBe(
      'invalid_signature'
    )
    expect(await outcome('github', delivery('another secret', headers, 'Hello, World!'))).toBe(
      'invalid_signature'
    )
    const { 'x-hub-signature-256': signature = '', ...unsigned } = headers
    expect(await outcome('github', delivery(secret, unsigned, 'Hello, World!'))).toBe(
      'missing_signature'
    )
    const sha1 = { ...unsigned, 'x-hub-signature-256': signature.replace('sha256=', 'sha1=') }
    expect(await outcome('github', delivery(secret, sha1, 'Hello, World!'))).toBe(
      'invalid_signature'
    )
  })
})

describe('standard-webhooks', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const body = '{"test": 2432232314}'
  const vector = {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  }
  const atVector = 1614265330 * 1000

  it("verifies the spec's test vector with the clock at its timestamp", async () => {
    const verified = await verifyDelivery(
      'standard-webhooks',
      delivery(secret, vector, body, atVector)
    )
    expect(verified.deliveryId).toBe('msg_p5jXN8AQM9LWM0D4loKWxJek')
  })

  it('refuses the same vector once it is past the tolerance, either way', async () => {
    for (const skew of [-(TOLERANCE + 1), TOLERANCE + 1]) {
      expect(
        await outcome('standard-webhooks', delivery(secret, vector, body, atVector + skew * 1000))
      ).toBe('timestamp_out_of_tolerance')
    }
    expect(
      await outcome(
        'standard-webhooks',
        delivery(secret, vector, body, atVector + TOLERANCE * 1000)
      )
    ).toBe('accepted')
  })

  it('verifies deliveries signed by the official standardwebhooks package', async () => {
    const payload = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } })
    const headers = standardWebhooksHeaders(secret, payload)
    expect(await outcome('standard-webhooks', delivery(secret, headers, payload))).toBe('accepted')
  })

  it('accepts any matching entry of a rotated secret list, skipping other versions', async () => {
    const rotated = {
      ...vector,
      'webhook-signature': `v1a,bm90LWVkMjU1MTk= v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${vector['webhook-signature']}`,
    }
    expect(await outcome('standard-webhooks', delivery(secret, rotated, body, atVector))).toBe(
      'accepted'
    )
  })

  it('refuses a tampered body, id or timestamp, and a missing header', async () => {
    expect(
      await outcome('standard-webhooks', delivery(secret, vector, '{"test": 2432232315}', atVector))
    ).toBe('invalid_signature')
    const otherId = { ...vector, 'webhook-id': 'msg_other' }
    expect(await outcome('standard-webhooks', delivery(secret, otherId, body, atVector))).toBe(
      'invalid_signature'
    )
    const otherTime = { ...vector, 'webhook-timestamp': '1614265331' }
    expect(await outcome('standard-webhooks', delivery(secret, otherTime, body, atVector))).toBe(
      'invalid_signature'
    )
    const { 'webhook-id': _id, ...noId } = vector
    expect(await outcome('standard-webhooks', delivery(secret, noId, body, atVector))).toBe(
      'missing_signature'
    )
  })
})

describe('stripe', () => {
  const secret = 'whsec_stripe_test_signing_secret_0123'
  const body = JSON.stringify({ id: 'evt_1', type: 'charge.succeeded' })

  it("verifies Stripe's scheme: the whole whsec_ text as the key, over t.body", async () => {
    const headers = await stripeHeaders(secret, body)
    expect(await outcome('stripe', delivery(secret, headers, body))).toBe('accepted')
  })

  it('accepts any of several v1 signatures (a secret being rolled)', async () => {
    const headers = await stripeHeaders(secret, body)
    const rolled = {
      ...headers,
      'stripe-signature': String(headers['stripe-signature']).replace(
        ',v1=',
        `,v1=${'0'.repeat(64)},v1=`
      ),
    }
    expect(await outcome('stripe', delivery(secret, rolled, body))).toBe('accepted')
  })

  it('refuses a tampered body, a stale timestamp and a missing t=', async () => {
    const headers = await stripeHeaders(secret, body)
    expect(await outcome('stripe', delivery(secret, headers, `${body} `))).toBe('invalid_signature')
    const stale = await stripeHeaders(secret, body, nowSeconds() - TOLERANCE - 5)
    expect(await outcome('stripe', delivery(secret, stale, body))).toBe(
      'timestamp_out_of_tolerance'
    )
    const noTime = { 'stripe-signature': headers['stripe-signature']?.replace(/^t=\d+,/, '') ?? '' }
    expect(await outcome('stripe', delivery(secret, noTime, body))).toBe('missing_signature')
  })
})

describe('slack', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5'
  const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather&text=94070'

  it("verifies Slack's scheme over v0:timestamp:body, form bodies included", async () => {
    const headers = await slackHeaders(
      secret,
      body,
      nowSeconds(),
      'application/x-www-form-urlencoded'
    )
    expect(await outcome('slack', delivery(secret, headers, body))).toBe('accepted')
  })

  it('refuses a tampered body, a stale timestamp and a timestamp not signed', async () => {
    const headers = await slackHeaders(secret, body)
    expect(await outcome('slack', delivery(secret, headers, `${body}0`))).toBe('invalid_signature')
    const stale = await slackHeaders(secret, body, nowSeconds() - TOLERANCE - 5)
    expect(await outcome('slack', delivery(secret, stale, body))).toBe('timestamp_out_of_tolerance')
    const moved = { ...headers, 'x-slack-request-timestamp': String(nowSeconds() + 1) }
    expect(await outcome('slack', delivery(secret, moved, body))).toBe('invalid_signature')
  })
})

describe('bearer', () => {
  const token = 'a-long-shared-token-0123456789'

  it('accepts the token and refuses another, a prefix of it, or none', async () => {
    const bearer = (value: string) => ({ authorization: `Bearer ${value}` })
    expect(await outcome('bearer', delivery(token, bearer(token), '{}'))).toBe('accepted')
    expect(await outcome('bearer', delivery(token, bearer(`${token}x`), '{}'))).toBe(
      'invalid_signature'
    )
    expect(await outcome('bearer', delivery(token, bearer(token.slice(0, -1)), '{}'))).toBe(
      'invalid_signature'
    )
    expect(await outcome('bearer', delivery(token, {}, '{}'))).toBe('missing_signature')
  })

  it("takes the sender's idempotency key as the delivery id", async () => {
    const verified = await verifyDelivery(
      'bearer',
      delivery(token, { authorization: `Bearer ${token}`, 'idempotency-key': 'job-42' }, '{}')
    )
    expect(verified.deliveryId).toBe('job-42')
  })
})
