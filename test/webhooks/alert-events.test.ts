import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { buildDeps } from '../../src/deps'
import type { Bindings } from '../../src/env'
import { chatRequest, servedBy, settledChat, uniqueTag } from '../helpers/gateway'
import { adminJson, tenantWithKey } from '../tenancy/fixtures'
import { createEndpoint, expectVerified, received, receivedUntil, receiverUrl } from './helpers'

const ok = { model: 'mock/m', messages: [{ role: 'user', content: 'hello' }] }
const bodyOf = (request: { body: string }) =>
  JSON.parse(request.body) as { type: string; data: Record<string, unknown> }

describe('alerts as webhook events', () => {
  it('sends a budget crossing once per period, however many requests cross it', async () => {
    const soft = await tenantWithKey({ budget: { monthly_soft_usd: 0 } })
    const hard = await tenantWithKey({
      budget: { monthly_hard_usd: 0 },
      pricing: { 'mock/m': { input: 1, output: 1 } },
    })
    const [softTag, hardTag] = [uniqueTag(), uniqueTag()]
    const softEndpoint = await createEndpoint(soft.secret, {
      url: receiverUrl(softTag),
      event_types: ['budget.soft_limit_reached'],
      payload: 'full',
    })
    await createEndpoint(hard.secret, {
      url: receiverUrl(hardTag),
      event_types: ['budget.hard_limit_reached'],
      payload: 'full',
    })
    const gateway = servedBy()
    for (let i = 0; i < 3; i++) {
      for (const secret of [soft.secret, hard.secret]) {
        const response = await gateway.fetch(
          'http://gateway/v1/chat/completions',
          chatRequest(secret, ok)
        )
        await response.text()
      }
      await gateway.settled()
    }
    const [softEvent] = await receivedUntil(softTag, (list) => list.length === 1)
    const [hardEvent] = await receivedUntil(hardTag, (list) => list.length === 1)
    if (!softEvent || !hardEvent) throw new Error('no event')
    expectVerified(softEndpoint.secret, softEvent)
    expect(bodyOf(softEvent)).toMatchObject({
      type: 'budget.soft_limit_reached',
      data: { id: expect.stringMatching(/^alert_/), alert: 'budget_soft', scope: 'tenant' },
    })
    expect(bodyOf(hardEvent)).toMatchObject({
      type: 'budget.hard_limit_reached',
      data: { alert: 'budget_hard', detail: expect.stringContaining('exhausted') },
    })
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect(await received(softTag)).toHaveLength(1)
    expect(await received(hardTag)).toHaveLength(1)
  })

  it('sends error-rate and latency alerts over 5 minutes as alert.* events', async () => {
    const tenant = await tenantWithKey({
      observability: { alerts: { error_rate: 0.5, latency_p95_ms: 1, min_requests: 4 } },
    })
    const tag = uniqueTag()
    // Through the admin API: a tenant request would count in the window the alert reads.
    await adminJson(
      `/admin/tenants/${tenant.tenantId}/webhooks/endpoints`,
      'POST',
      { url: receiverUrl(tag), payload: 'full' },
      201
    )
    let now = Date.now()
    const deps = buildDeps(loadConfig(env as Bindings), { jobs: env.JOBS })
    const gateway = servedBy({ app: createApp({ ...deps, clock: () => now }) })
    const send = settledChat(gateway, tenant.secret)
    await send(ok)
    for (let i = 0; i < 3; i++) await send({ model: 'mock/m' })
    now += 60_000
    await send(ok)
    const events = (await receivedUntil(tag, (list) => list.length === 2)).map(bodyOf)
    expect(events.map((event) => event.type).sort()).toEqual(['alert.error_rate', 'alert.latency'])
    expect(events.find((event) => event.type === 'alert.error_rate')?.data).toMatchObject({
      requests: 4,
      errors: 3,
      threshold: 0.5,
      window_minutes: 5,
    })
  })
})
