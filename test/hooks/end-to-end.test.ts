/**
 * A GitHub-signed delivery through the Worker, the JOBS queue and the mock provider: 202 with a
 * response id at once, then the stored response, polled with the tenant's key, completes with the
 * model's answer to the rendered prompt, and the tenant's endpoint receives `hook.completed`,
 * signed. The same delivery again runs nothing.
 */
import { describe, expect, it } from 'vitest'
import { mockRequests, uniqueTag } from '../helpers/gateway'
import { gateway, type Json, tenantWithKey, withKey } from '../tenancy/fixtures'
import { createEndpoint, expectVerified, receivedUntil, receiverUrl } from '../webhooks/helpers'
import { createHook, deliveryPath } from './fixtures'
import { githubHeaders } from './senders'

const POLL_MS = 100
const DEADLINE_MS = 15_000

async function pollResponse(apiKey: string, id: string): Promise<Json> {
  const until = Date.now() + DEADLINE_MS
  for (;;) {
    const response = await gateway(`/v1/responses/${id}`, withKey(apiKey))
    const json: Json = await response.json()
    if (json.status !== 'queued' && json.status !== 'in_progress') return json
    if (Date.now() > until) throw new Error(`still ${String(json.status)} after ${DEADLINE_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

describe('an inbound hook, end to end', () => {
  it('answers 202 with a response id that completes with the answer, and a signed hook.completed', async () => {
    const { secret: apiKey } = await tenantWithKey()
    const tag = uniqueTag()
    const endpoint = await createEndpoint(apiKey, {
      url: receiverUrl(tag),
      event_types: ['hook.completed', 'hook.failed'],
      payload: 'full',
    })
    const hook = await createHook(apiKey, {
      verifier: 'github',
      secret: "It's a Secret to Everybody",
      template: 'Summarise issue {{issue.title}}: {{issue.body}}',
      model: `mock/m:echo,tag=${tag}`,
    })
    const body = JSON.stringify({
      action: 'opened',
      issue: { title: 'Crash', body: 'It crashes.' },
    })
    const headers = await githubHeaders("It's a Secret to Everybody", body, crypto.randomUUID())
    const accepted = await gateway(deliveryPath(hook), { method: 'POST', headers, body })
    const delivery: Json = await accepted.json()
    expect(accepted.status).toBe(202)
    expect(delivery).toEqual({
      id: expect.stringMatching(/^resp_/),
      object: 'hook.delivery',
      hook_id: hook.id,
      status: 'queued',
    })
    const done = await pollResponse(apiKey, String(delivery.id))
    expect(done).toMatchObject({ status: 'completed', metadata: { hook_id: hook.id } })
    expect(done.output_text).toBe('user: Summarise issue Crash: It crashes.')
    expect(await mockRequests(tag)).toHaveLength(1)
    const [event] = await receivedUntil(tag, (list) => list.length > 0)
    if (!event) throw new Error('no hook.completed delivery')
    expectVerified(endpoint.secret, event)
    expect(JSON.parse(event.body)).toMatchObject({
      type: 'hook.completed',
      data: {
        id: delivery.id,
        hook_id: hook.id,
        status: 'completed',
        output_text: 'user: Summarise issue Crash: It crashes.',
      },
    })

    // The sender's retry of the same delivery is acknowledged with the same response, and
    // runs nothing again (senders count anything but a 2xx as a failed delivery).
    const again = await gateway(deliveryPath(hook), { method: 'POST', headers, body })
    expect(again.status).toBe(202)
    expect(await again.json()).toMatchObject({ id: delivery.id, hook_id: hook.id })
    expect(await mockRequests(tag)).toHaveLength(1)
  })
})
