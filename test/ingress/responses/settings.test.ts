import { describe, expect, it } from 'vitest'
import { openAIClient } from '../../helpers/gateway'
import { adminJson, gatewayRedis, tenantWithKey } from '../../tenancy/fixtures'
import { expectNotFound } from './helpers'

describe('tenant settings for the Responses API', () => {
  it('stores nothing by default when the tenant says so, unless a request asks', async () => {
    const tenant = await tenantWithKey({ responses: { store_default: false, retention_days: 2 } })
    const client = openAIClient(tenant.secret)
    const unstored = await client.responses.create({ model: 'mock-gpt', input: 'Hi' })
    await expectNotFound(client.responses.retrieve(unstored.id))
    const stored = await client.responses.create({ model: 'mock-gpt', input: 'Hi', store: true })
    expect((await client.responses.retrieve(stored.id)).id).toBe(stored.id)
    // Retention is a Redis TTL on the record.
    const ttl = await gatewayRedis().ttl(`gw:t:${tenant.tenantId}:resp:${stored.id}`)
    expect(ttl).toBeGreaterThan(86_400)
    expect(ttl).toBeLessThanOrEqual(2 * 86_400)
  })

  it('refuses an unknown or out-of-range setting with a 400 naming it', async () => {
    const refused = await adminJson(
      '/admin/tenants',
      'POST',
      { name: 'bad', config: { responses: { context: { recent_turn: 3 } } } },
      400
    )
    expect(refused).toMatchObject({ error: { param: 'config.responses.context.recent_turn' } })
    const range = await adminJson(
      '/admin/tenants',
      'POST',
      { name: 'bad', config: { responses: { retention_days: 0 } } },
      400
    )
    expect(range).toMatchObject({ error: { param: 'config.responses.retention_days' } })
  })
})
