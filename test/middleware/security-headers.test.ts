import { describe, expect, it } from 'vitest'
import { chatRequest, gatewayFetch, withTenant } from '../helpers/gateway'
import { admin, gateway } from '../tenancy/fixtures'

const ctx = withTenant()

async function headersOf(response: Promise<Response>): Promise<Headers> {
  const answered = await response
  await answered.body?.cancel()
  return answered.headers
}

const asTenant = () => ({ headers: { authorization: `Bearer ${ctx.tenant.secret}` } })

describe('security headers', () => {
  it('sends nosniff on every response, successes and failures alike', async () => {
    const responses = [
      gateway('/healthz'),
      gateway('/no-such-route'),
      gateway('/v1/models'),
      gateway('/v1/models', asTenant()),
      gateway('/admin/tenants'),
      gatewayFetch(
        'http://gateway/v1/chat/completions',
        chatRequest(ctx.tenant.secret, {
          model: 'mock/m:tokens=2',
          messages: [{ role: 'user', content: 'hi' }],
        })
      ),
    ]
    for (const response of responses) {
      expect((await headersOf(response)).get('x-content-type-options')).toBe('nosniff')
    }
  })

  it('forbids storing usage, admin and key responses, and only those', async () => {
    const tenants = await headersOf(admin('/admin/tenants'))
    expect(tenants.get('cache-control')).toBe('no-store')
    const refused = await headersOf(gateway('/admin/tenants'))
    expect(refused.get('cache-control')).toBe('no-store')
    const usage = await headersOf(gateway('/v1/usage', asTenant()))
    expect(usage.get('cache-control')).toBe('no-store')
    const models = await headersOf(gateway('/v1/models', asTenant()))
    expect(models.get('cache-control')).toBeNull()
  })

  it('forbids storing a newly created key, which carries its secret', async () => {
    const tenant = (await (await admin('/admin/tenants', 'POST', { name: 'h' })).json()) as {
      id: string
    }
    const created = await admin(`/admin/tenants/${tenant.id}/keys`, 'POST', {})
    expect(created.status).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    await created.body?.cancel()
  })
})
