import { describe, expect, it } from 'vitest'
import { openAIClient, uniqueTag } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'
import { createEndpoint, expectVerified, received, receivedUntil, receiverUrl } from './helpers'

describe('background responses as webhook events', () => {
  it('delivers response.completed, signed, once per endpoint, thin and full', async () => {
    const tenant = await tenantWithKey()
    const [thinTag, fullTag] = [uniqueTag(), uniqueTag()]
    const thin = await createEndpoint(tenant.secret, {
      url: receiverUrl(thinTag),
      event_types: ['response.completed'],
    })
    await createEndpoint(tenant.secret, { url: receiverUrl(fullTag), payload: 'full' })
    const client = openAIClient(tenant.secret)
    const created = await client.responses.create({
      model: `mock/mock-gpt:tokens=8,tag=${thinTag}`,
      input: 'Say hello',
      background: true,
    })
    const [thinEvent] = await receivedUntil(thinTag, (list) => list.length === 1)
    const [fullEvent] = await receivedUntil(fullTag, (list) => list.length === 1)
    if (!thinEvent || !fullEvent) throw new Error('no event')
    expectVerified(thin.secret, thinEvent)
    expect(JSON.parse(thinEvent.body)).toMatchObject({
      type: 'response.completed',
      data: { id: created.id },
    })
    const full = JSON.parse(fullEvent.body) as { data: Record<string, unknown> }
    expect(full.data).toMatchObject({ id: created.id, status: 'completed', background: true })
    // The receiver fetches the object a thin event names.
    expect((await client.responses.retrieve(created.id)).status).toBe('completed')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await received(thinTag)).toHaveLength(1)
    expect(await received(fullTag)).toHaveLength(1)
  })
})
