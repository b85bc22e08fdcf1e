import { describe, expect, it } from 'vitest'
import { mintToken } from '../end-users/fixtures'
import { admin, adminJson, tenantWithKey } from '../tenancy/fixtures'
import { createEndpoint, receiverUrl, tenantApi } from './helpers'

describe('webhook endpoints API', () => {
  it('creates an endpoint with a whsec_ secret shown once, never again', async () => {
    const tenant = await tenantWithKey()
    const { status, json } = await tenantApi(tenant.secret, '', 'POST', {
      url: receiverUrl('api'),
      event_types: ['response.completed', 'budget.hard_limit_reached'],
      description: 'CI notifier',
    })
    expect(status).toBe(201)
    expect(json).toMatchObject({
      object: 'webhook_endpoint',
      url: receiverUrl('api'),
      event_types: ['response.completed', 'budget.hard_limit_reached'],
      description: 'CI notifier',
      payload: 'thin',
      enabled: true,
      disabled_reason: null,
      consecutive_failures: 0,
    })
    const secret = String(json.secret)
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const id = String(json.id)
    const list = await tenantApi(tenant.secret, '')
    const one = await tenantApi(tenant.secret, `/${id}`)
    const viaAdmin = await adminJson(`/admin/tenants/${tenant.tenantId}/webhooks/endpoints`)
    for (const answer of [list.json, one.json, viaAdmin]) {
      const text = JSON.stringify(answer)
      expect(text).toContain(id)
      expect(text).not.toContain(secret.slice(6, 20))
      expect(text).not.toMatch(/whsec_|sealed/)
    }
    expect((list.json.data as unknown[]).length).toBe(1)
  })

  it('updates, disables, enables and deletes', async () => {
    const tenant = await tenantWithKey()
    const { id } = await createEndpoint(tenant.secret, { url: receiverUrl('crud') })
    const off = await tenantApi(tenant.secret, `/${id}`, 'PATCH', {
      enabled: false,
      payload: 'full',
      event_types: ['response.failed'],
    })
    expect(off.json).toMatchObject({
      enabled: false,
      payload: 'full',
      event_types: ['response.failed'],
      disabled_reason: 'disabled through the API',
    })
    const on = await tenantApi(tenant.secret, `/${id}`, 'PATCH', {
      enabled: true,
      event_types: null,
    })
    expect(on.json).toMatchObject({ enabled: true, disabled_reason: null, event_types: null })
    expect((await tenantApi(tenant.secret, `/${id}`, 'DELETE')).json).toEqual({
      id,
      object: 'webhook_endpoint.deleted',
      deleted: true,
    })
    const gone = await tenantApi(tenant.secret, `/${id}`)
    expect(gone.status).toBe(404)
    expect(gone.json).toMatchObject({ error: { code: 'webhook_endpoint_not_found' } })
  })

  it('refuses URLs the SSRF guard refuses, and unknown event types, with a 400', async () => {
    const tenant = await tenantWithKey()
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.7/hook',
      'https://[::ffff:192.168.0.1]/hook',
      'http://example.com/hook',
      'ftp://example.com/hook',
      'https://user:pw@example.com/hook',
      'not a url',
    ]) {
      const { status, json } = await tenantApi(tenant.secret, '', 'POST', { url })
      expect({ url, status, json }).toMatchObject({
        status: 400,
        json: { error: { param: 'url', code: 'unsafe_webhook_url' } },
      })
    }
    const unknown = await tenantApi(tenant.secret, '', 'POST', {
      url: 'https://example.com/hook',
      event_types: ['response.exploded'],
    })
    expect(unknown.status).toBe(400)
    expect(unknown.json).toMatchObject({ error: { param: 'event_types[0]' } })
    const ok = await tenantApi(tenant.secret, '', 'POST', { url: 'https://example.com/hook' })
    expect(ok.status).toBe(201)
  })

  it('keeps tenants apart, and the admin API reaches any tenant', async () => {
    const [a, b] = [await tenantWithKey(), await tenantWithKey()]
    const created = await adminJson(
      `/admin/tenants/${a.tenantId}/webhooks/endpoints`,
      'POST',
      { url: receiverUrl('admin'), payload: 'full' },
      201
    )
    expect(String(created.secret)).toMatch(/^whsec_/)
    expect((await tenantApi(a.secret, `/${created.id}`)).status).toBe(200)
    expect((await tenantApi(b.secret, `/${created.id}`)).status).toBe(404)
    expect(
      (await admin(`/admin/tenants/${b.tenantId}/webhooks/endpoints/${created.id}`)).status
    ).toBe(404)
    expect((await admin('/admin/tenants/nope/webhooks/endpoints')).status).toBe(404)
  })

  it("is managed with a tenant key, not an end user's token", async () => {
    const tenant = await tenantWithKey()
    const { token } = await mintToken(tenant.secret, { user: 'u1', ttl_seconds: 300 })
    const { status, json } = await tenantApi(token, '')
    expect(status).toBe(403)
    expect(json).toMatchObject({ error: { code: 'end_user_endpoint_not_allowed' } })
    const scoped = await tenantWithKey({}, { scopes: { endpoints: ['/v1/chat/*'] } })
    expect((await tenantApi(scoped.secret, '')).status).toBe(403)
  })

  it('rotates the secret, saying until when the previous one still signs', async () => {
    const tenant = await tenantWithKey()
    const { id, secret } = await createEndpoint(tenant.secret, { url: receiverUrl('rot') })
    const { status, json } = await tenantApi(tenant.secret, `/${id}/rotate`, 'POST', {
      grace_seconds: 3600,
    })
    expect(status).toBe(200)
    expect(json.secret).toMatch(/^whsec_/)
    expect(json.secret).not.toBe(secret)
    const until = Date.parse(String(json.previous_secret_valid_until))
    expect(until - Date.now()).toBeGreaterThan(3500_000)
    expect((await tenantApi(tenant.secret, `/${id}`)).json.previous_secret_valid_until).toBe(
      json.previous_secret_valid_until
    )
  })
})
