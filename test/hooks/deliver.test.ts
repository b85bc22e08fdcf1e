/**
 * What a verified delivery starts: receiveDelivery against the local Redis, with a recording
 * `start` in place of the background response (src/ingress/responses/background.ts has its own
 * tests), so these check what the hook hands it and when it hands nothing.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { buildDeps } from '../../src/deps'
import { GatewayError } from '../../src/errors'
import {
  type DeliveryDeps,
  type DeliveryOutcome,
  receiveDelivery,
  type StartResponse,
} from '../../src/hooks/deliver'
import { sha256Hex } from '../../src/lib/crypto'
import { admin, createKey, tenantWithKey } from '../tenancy/fixtures'
import { createHook, hooksApi } from './fixtures'
import { githubHeaders, slackHeaders, standardWebhooksHeaders, stripeHeaders } from './senders'

type Started = Parameters<StartResponse>

function recorder(fail?: Error): { deps: DeliveryDeps; started: Started[] } {
  const { redis, config, clock } = buildDeps(loadConfig(env))
  const started: Started[] = []
  const start: StartResponse = async (...args) => {
    started.push(args)
    if (fail) throw fail
    return { id: `resp_${started.length}` }
  }
  return { deps: { redis, config, clock, start }, started }
}

function deliver(
  deps: DeliveryDeps,
  hookId: string,
  headers: Record<string, string>,
  body: string
): Promise<DeliveryOutcome> {
  return receiveDelivery(deps, {
    hookId,
    headers: new Headers(headers),
    body: new Response(body).body,
  })
}

/** The refusal's status and code. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: unknown }> {
  try {
    await promise
  } catch (error) {
    if (error instanceof GatewayError) return { status: error.status, code: error.code }
    throw error
  }
  throw new Error('the delivery was accepted')
}

const secret = 'github-hook-secret-0123'
const issue = JSON.stringify({ issue: { title: 'Crash', body: 'It crashes.' } })

async function githubHook(extra: Record<string, unknown> = {}) {
  const tenant = await tenantWithKey()
  const hook = await createHook(tenant.secret, {
    verifier: 'github',
    secret,
    template: 'Summarise issue {{issue.title}}: {{issue.body}}',
    instructions: 'Answer in one line.',
    model: 'mock/m',
    max_output_tokens: 40,
    temperature: 0,
    ...extra,
  })
  return { ...tenant, hook }
}

describe('receiveDelivery', () => {
  it('starts one background response as the creating key, with the rendered prompt', async () => {
    const { deps, started } = recorder()
    const { tenantId, keyId, hook } = await githubHook()
    const headers = await githubHeaders(secret, issue, 'gh-delivery-1')
    expect(await deliver(deps, hook.id, headers, issue)).toEqual({
      kind: 'queued',
      responseId: 'resp_1',
      hookId: hook.id,
    })
    expect(started).toHaveLength(1)
    const [caller, request, options] = started[0] ?? []
    expect(caller?.tenant.id).toBe(tenantId)
    expect(caller?.apiKey.id).toBe(keyId)
    expect(request).toEqual({
      model: 'mock/m',
      input: 'Summarise issue Crash: It crashes.',
      instructions: 'Answer in one line.',
      max_output_tokens: 40,
      temperature: 0,
      store: true,
      metadata: { hook_id: hook.id },
    })
    expect(options).toEqual({
      hookId: hook.id,
      idempotencyKey: `hook:${hook.id}:${await sha256Hex('gh-delivery-1')}`,
    })
  })

  it('starts a replayed delivery id under the same idempotency key, even with a fresh signature', async () => {
    const { deps, started } = recorder()
    const { hook } = await githubHook()
    const headers = await githubHeaders(secret, issue, 'gh-delivery-2')
    await deliver(deps, hook.id, headers, issue)
    await deliver(deps, hook.id, headers, issue)
    const other = JSON.stringify({ issue: { title: 'Other' } })
    await deliver(deps, hook.id, await githubHeaders(secret, other, 'gh-delivery-2'), other)
    // The background start answers all three from its one idempotency record (end-to-end test).
    const key = `hook:${hook.id}:${await sha256Hex('gh-delivery-2')}`
    expect(started.map(([, , options]) => options.idempotencyKey)).toEqual([key, key, key])
  })

  it('lets a sender retry a delivery whose start failed: nothing ran, so it is no replay', async () => {
    const down = new GatewayError(503, 'queue down', { code: 'jobs_unavailable' })
    const failing = recorder(down)
    const { hook } = await githubHook()
    const headers = await githubHeaders(secret, issue, 'gh-delivery-3')
    expect(await refusal(deliver(failing.deps, hook.id, headers, issue))).toEqual({
      status: 503,
      code: 'jobs_unavailable',
    })
    const { deps, started } = recorder()
    expect(await deliver(deps, hook.id, headers, issue)).toMatchObject({ kind: 'queued' })
    expect(started).toHaveLength(1)
  })

  it('starts nothing for a disabled hook, a revoked key, a bad signature or a bad payload', async () => {
    const { deps, started } = recorder()
    const { secret: apiKey, keyId, hook } = await githubHook()
    const signed = await githubHeaders(secret, issue)
    const tampered = `${issue} `
    expect(await refusal(deliver(deps, hook.id, signed, tampered))).toEqual({
      status: 401,
      code: 'invalid_signature',
    })
    const text = 'not json'
    expect(await refusal(deliver(deps, hook.id, await githubHeaders(secret, text), text))).toEqual({
      status: 400,
      code: 'invalid_json',
    })
    const empty = JSON.stringify({ unrelated: true })
    const emptyHook = await createHook(apiKey, {
      verifier: 'github',
      secret,
      template: '{{issue.title}}',
      model: 'mock/m',
    })
    expect(
      await refusal(deliver(deps, emptyHook.id, await githubHeaders(secret, empty), empty))
    ).toEqual({ status: 400, code: 'empty_prompt' })
    await hooksApi(apiKey, `/${hook.id}`, 'POST', { enabled: false })
    expect(await refusal(deliver(deps, hook.id, signed, issue))).toEqual({
      status: 404,
      code: 'hook_not_found',
    })
    await hooksApi(apiKey, `/${hook.id}`, 'POST', { enabled: true })
    await admin(`/admin/keys/${keyId}`, 'DELETE')
    expect(await refusal(deliver(deps, hook.id, signed, issue))).toEqual({
      status: 404,
      code: 'hook_not_found',
    })
    expect(started).toHaveLength(0)
  })

  it('de-duplicates Stripe and Slack on the event id, which their retries keep', async () => {
    const { deps, started } = recorder()
    const { tenantId } = await githubHook()
    const apiKey = (await createKey(tenantId)).secret
    const stripe = await createHook(apiKey, {
      verifier: 'stripe',
      secret: 'whsec_stripe_0123456789',
      template: '{{type}} {{data.object.id}}',
      model: 'mock/m',
    })
    const event = JSON.stringify({
      id: 'evt_42',
      type: 'charge.succeeded',
      data: { object: { id: 'ch_1' } },
    })
    await deliver(deps, stripe.id, await stripeHeaders(stripe.secret, event), event)
    const retry = await stripeHeaders(stripe.secret, event, Math.floor(Date.now() / 1000) - 30)
    // A retry has a fresh timestamp and signature but the same event id: the same key.
    await deliver(deps, stripe.id, retry, event)
    expect(started[0]?.[1].input).toBe('charge.succeeded ch_1')
    expect(started[0]?.[2].idempotencyKey).toBe(`hook:${stripe.id}:${await sha256Hex('evt_42')}`)
    expect(started[1]?.[2].idempotencyKey).toBe(started[0]?.[2].idempotencyKey)

    const slack = await createHook(apiKey, {
      verifier: 'slack',
      secret: 'slack-signing-secret-0123',
      template: '{{event.user}} said {{event.text}}',
      model: 'mock/m',
    })
    const message = JSON.stringify({
      type: 'event_callback',
      event_id: 'Ev1',
      event: { user: 'U1', text: 'hi' },
    })
    await deliver(deps, slack.id, await slackHeaders(slack.secret, message), message)
    expect(started[2]?.[1].input).toBe('U1 said hi')
    expect(started[2]?.[2].idempotencyKey).toBe(`hook:${slack.id}:${await sha256Hex('Ev1')}`)
  })

  it("answers Slack's url_verification with its challenge, without a model call", async () => {
    const { deps, started } = recorder()
    const { secret: apiKey } = await githubHook()
    const slack = await createHook(apiKey, {
      verifier: 'slack',
      secret: 'slack-signing-secret-0123',
      template: '{{event.text}}',
      model: 'mock/m',
    })
    const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'c-123' })
    expect(await deliver(deps, slack.id, await slackHeaders(slack.secret, body), body)).toEqual({
      kind: 'challenge',
      challenge: 'c-123',
    })
    const forged = await slackHeaders('another-secret-0000', body)
    expect(await refusal(deliver(deps, slack.id, forged, body))).toMatchObject({ status: 401 })
    expect(started).toHaveLength(0)
  })

  it('reads form bodies: a payload field as JSON (Slack interactivity), else the fields', async () => {
    const { deps, started } = recorder()
    const { secret: apiKey } = await githubHook()
    const slack = await createHook(apiKey, {
      verifier: 'slack',
      secret: 'slack-signing-secret-0123',
      template: '{{actions.0.value}}{{command}} {{text}}',
      model: 'mock/m',
    })
    const form = 'application/x-www-form-urlencoded'
    const interactive = `payload=${encodeURIComponent(JSON.stringify({ actions: [{ value: 'approve' }] }))}`
    await deliver(
      deps,
      slack.id,
      await slackHeaders(slack.secret, interactive, undefined, form),
      interactive
    )
    const command = 'command=%2Fsummarise&text=the+thread'
    await deliver(
      deps,
      slack.id,
      await slackHeaders(slack.secret, command, undefined, form),
      command
    )
    expect(started.map(([, request]) => request.input)).toEqual([
      'approve ',
      '/summarise the thread',
    ])
  })

  it('verifies Standard Webhooks deliveries from the official package, de-duplicated on webhook-id', async () => {
    const { deps, started } = recorder()
    const { secret: apiKey } = await githubHook()
    const hook = await createHook(apiKey, {
      verifier: 'standard-webhooks',
      template: 'Event {{type}} for {{data.id}}',
      model: 'mock/m',
    })
    const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } })
    const headers = standardWebhooksHeaders(hook.secret, body, 'msg_abc')
    await deliver(deps, hook.id, headers, body)
    const retried = standardWebhooksHeaders(hook.secret, body, 'msg_abc')
    await deliver(deps, hook.id, retried, body)
    const once = ['Event invoice.paid for inv_1', `hook:${hook.id}:${await sha256Hex('msg_abc')}`]
    expect(started.map(([, request, options]) => [request.input, options.idempotencyKey])).toEqual([
      once,
      once,
    ])
  })
})
