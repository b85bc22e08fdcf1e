import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { generateWebhookSecret, signWebhook } from '../../src/webhooks/signature'

/** The spec's published vector (standard-webhooks libraries/javascript/src/webhook.test.ts). */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}

describe('Standard Webhooks signatures', () => {
  it('reproduce the spec test vector exactly', async () => {
    const { secret, id, timestamp, body, signature } = VECTOR
    expect(await signWebhook([secret], id, timestamp, body)).toBe(signature)
  })

  it('agree with the official library for a generated secret', async () => {
    const secret = generateWebhookSecret()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const timestamp = Math.floor(Date.now() / 1000)
    const body = JSON.stringify({ type: 'response.completed', data: { id: 'resp_1' } })
    const header = await signWebhook([secret], 'msg_1', timestamp, body)
    expect(header).toBe(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body))
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp) }
    expect(new Webhook(secret).verify(body, { ...headers, 'webhook-signature': header })).toEqual(
      JSON.parse(body)
    )
    const tampered = body.replace('resp_1', 'resp_2')
    expect(() =>
      new Webhook(secret).verify(tampered, { ...headers, 'webhook-signature': header })
    ).toThrow()
  })

  it('sign once per secret, each entry verifying with its own secret', async () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()]
    const timestamp = Math.floor(Date.now() / 1000)
    const header = await signWebhook([current, previous], 'msg_2', timestamp, '{}')
    expect(header.split(' ')).toHaveLength(2)
    const headers = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': header,
    }
    expect(new Webhook(current).verify('{}', headers)).toEqual({})
    expect(new Webhook(previous).verify('{}', headers)).toEqual({})
    expect(() => new Webhook(generateWebhookSecret()).verify('{}', headers)).toThrow()
  })
})
