import { describe, expect, it } from 'vitest'
import { backgroundKeys } from '../../../src/ingress/responses/background-store'
import { withTenant } from '../../helpers/gateway'
import { adminJson, gatewayRedis } from '../../tenancy/fixtures'
import { expectNotFound } from './helpers'

const caller = withTenant()

describe('export and erasure per end user', () => {
  it("exports one end user's responses and conversations, then erases them alone", async () => {
    const { client, tenant } = caller
    const carol = `carol-${crypto.randomUUID()}`
    const first = await client.responses.create({
      model: 'mock/gpt',
      input: 'carol secret one',
      safety_identifier: carol,
    })
    await client.responses.create({
      model: 'mock/gpt',
      input: 'carol secret two',
      previous_response_id: first.id,
      safety_identifier: carol,
    })
    const conversation = await client.conversations.create({})
    await client.responses.create({
      model: 'mock/gpt',
      input: 'carol in a conversation',
      conversation: conversation.id,
      safety_identifier: carol,
    })
    const dave = await client.responses.create({
      model: 'mock/gpt',
      input: 'dave',
      safety_identifier: 'dave',
    })

    const base = `/admin/tenants/${tenant.tenantId}/subjects/${encodeURIComponent(`user:${carol}`)}`
    const exported = await adminJson(`${base}/export`)
    expect(exported.subject).toBe(`user:${carol}`)
    expect(exported.responses).toHaveLength(3)
    expect(exported.conversations).toHaveLength(1)
    expect(JSON.stringify(exported)).toContain('carol secret two')
    expect(JSON.stringify(exported)).not.toContain('"dave"')

    const erased = await adminJson(base, 'DELETE')
    expect(erased.removed).toMatchObject({ responses: 3, conversations: 1, conversation_items: 2 })
    await expectNotFound(client.responses.retrieve(first.id))
    await expectNotFound(client.conversations.retrieve(conversation.id))
    expect((await client.responses.retrieve(dave.id)).id).toBe(dave.id)
    expect((await adminJson(`${base}/export`)).responses).toEqual([])

    const audit = await gatewayRedis().lrange(`gw:t:${tenant.tenantId}:audit:erasures`, 0, 0)
    const record = JSON.stringify(audit[0])
    expect(record).toContain('subject_sha256')
    expect(record).not.toContain(carol)
    expect(record).not.toContain('secret')
  })

  it("erases a background response's job and events with it", async () => {
    const { client, tenant } = caller
    const erin = `erin-${crypto.randomUUID()}`
    const created = await client.responses.create({
      model: 'mock/gpt',
      input: 'erin in the background',
      background: true,
      safety_identifier: erin,
    })
    await expect
      .poll(async () => (await client.responses.retrieve(created.id)).status, { timeout: 15_000 })
      .toBe('completed')
    const redis = gatewayRedis()
    const keys = backgroundKeys(tenant.tenantId, created.id)
    expect(await redis.exists(...keys)).toBeGreaterThan(0)

    const base = `/admin/tenants/${tenant.tenantId}/subjects/${encodeURIComponent(`user:${erin}`)}`
    expect((await adminJson(base, 'DELETE')).removed).toMatchObject({ responses: 1 })
    expect(await redis.exists(...keys)).toBe(0)
    await expectNotFound(client.responses.retrieve(created.id))
  })

  it('refuses a subject that is neither user: nor key:', async () => {
    const response = await adminJson(
      `/admin/tenants/${caller.tenant.tenantId}/subjects/nobody/export`,
      'GET',
      undefined,
      400
    )
    expect(response).toMatchObject({ error: { param: 'subject' } })
  })
})
