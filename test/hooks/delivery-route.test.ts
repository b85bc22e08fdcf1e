/**
 * POST /hooks/{id} through the Worker: every refusal answers with its status and code, and
 * leaves nothing behind: no response stored, no delivery id marked, no call at the mock provider.
 */
import { describe, expect, it } from 'vitest'
import { MAX_DELIVERY_BYTES } from '../../src/hooks/deliver'
import { tenantPrefix } from '../../src/upstash/keyspace'
import { mockRequests, uniqueTag } from '../helpers/gateway'
import { failure, gateway, gatewayRedis, tenantWithKey } from '../tenancy/fixtures'
import { createHook, deliveryPath, hooksApi } from './fixtures'
import { githubHeaders, nowSeconds, slackHeaders, stripeHeaders } from './senders'

const body = JSON.stringify({ issue: { title: 'Crash', body: 'It crashes.' } })

async function tenantHooks() {
  const tenant = await tenantWithKey()
  const tag = uniqueTag()
  const make = (verifier: string, secret: string, extra: Record<string, unknown> = {}) =>
    createHook(tenant.secret, {
      verifier,
      secret,
      template: 'Summarise {{issue.title}}',
      model: `mock/m:echo,tag=${tag}`,
      ...extra,
    })
  return { ...tenant, tag, make }
}

function post(path: string, headers: Record<string, string>, payload: BodyInit) {
  return gateway(path, { method: 'POST', headers, body: payload })
}

/** Nothing a delivery would leave: no stored response, no seen delivery id, no upstream call. */
async function expectNothingRan(tenantId: string, tag: string): Promise<void> {
  const redis = gatewayRedis()
  const [, keys] = await redis.scan(0, { match: `${tenantPrefix(tenantId)}*`, count: 10_000 })
  expect(keys.filter((key) => /:(resp|hook-seen):/.test(key))).toEqual([])
  expect(await mockRequests(tag)).toEqual([])
}

describe('POST /hooks/{id}: refusals', () => {
  it('401 for a tampered body, a wrong secret, a stale timestamp, a missing signature', async () => {
    const { tenantId, tag, make } = await tenantHooks()
    const github = await make('github', 'github-secret-0123')
    const path = deliveryPath(github)
    const signed = await githubHeaders('github-secret-0123', body)
    const tampered = await post(path, signed, body.replace('Crash', 'Crush'))
    expect(await failure(tampered)).toMatchObject({ status: 401, code: 'invalid_signature' })
    const wrong = await post(path, await githubHeaders('another-secret', body), body)
    expect(await failure(wrong)).toMatchObject({ status: 401, code: 'invalid_signature' })
    const unsigned = await post(path, { 'content-type': 'application/json' }, body)
    expect(await failure(unsigned)).toMatchObject({ status: 401, code: 'missing_signature' })

    const stripe = await make('stripe', 'whsec_stripe_0123456789')
    const stale = await stripeHeaders('whsec_stripe_0123456789', body, nowSeconds() - 301)
    expect(await failure(await post(deliveryPath(stripe), stale, body))).toMatchObject({
      status: 401,
      code: 'timestamp_out_of_tolerance',
    })
    const slack = await make('slack', 'slack-secret-0123', { tolerance_seconds: 10 })
    const late = await slackHeaders('slack-secret-0123', body, nowSeconds() - 11)
    expect(await failure(await post(deliveryPath(slack), late, body))).toMatchObject({
      status: 401,
      code: 'timestamp_out_of_tolerance',
    })
    const bearer = await make('bearer', 'bearer-token-0123456789')
    const wrongToken = { authorization: 'Bearer bearer-token-0123456780' }
    expect(await failure(await post(deliveryPath(bearer), wrongToken, body))).toMatchObject({
      status: 401,
      code: 'invalid_signature',
    })
    await expectNothingRan(tenantId, tag)
  })

  it('404 for an unknown or a disabled hook, 400 for a signed body that is not JSON', async () => {
    const { tenantId, tag, secret, make } = await tenantHooks()
    const unknown = await post('/hooks/hook_doesnotexist', await githubHeaders('x', body), body)
    expect(await failure(unknown)).toMatchObject({ status: 404, code: 'hook_not_found' })
    const hook = await make('github', 'github-secret-0123')
    const text = 'ref=main&zen=hi'
    const notJson = await post(
      deliveryPath(hook),
      await githubHeaders('github-secret-0123', text),
      text
    )
    expect(await failure(notJson)).toMatchObject({ status: 400, code: 'invalid_json' })
    await hooksApi(secret, `/${hook.id}`, 'POST', { enabled: false })
    const disabled = await post(
      deliveryPath(hook),
      await githubHeaders('github-secret-0123', body),
      body
    )
    expect(await failure(disabled)).toMatchObject({ status: 404, code: 'hook_not_found' })
    await expectNothingRan(tenantId, tag)
  })

  it('413 above the cap, from content-length and while reading a body sent without one', async () => {
    const { tenantId, tag, make } = await tenantHooks()
    const hook = await make('github', 'github-secret-0123')
    const big = JSON.stringify({ issue: { title: 'x'.repeat(MAX_DELIVERY_BYTES) } })
    const headers = await githubHeaders('github-secret-0123', big)
    expect(await failure(await post(deliveryPath(hook), headers, big))).toMatchObject({
      status: 413,
      code: 'request_too_large',
    })
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const streamed = await gateway(deliveryPath(hook), {
      method: 'POST',
      headers,
      body: stream,
      // @ts-expect-error: workerd's RequestInit knows no `duplex`; Node-style clients send it.
      duplex: 'half',
    })
    expect(await failure(streamed)).toMatchObject({ status: 413, code: 'request_too_large' })
    expect(sent).toBeLessThan(8)
    await expectNothingRan(tenantId, tag)
  })
})
