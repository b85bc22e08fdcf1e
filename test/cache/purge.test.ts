import { describe, expect, it } from 'vitest'
import { ADMIN_HEADERS } from '../helpers/gateway'
import { ask, cachingTenant, trackedGateway, user } from './helpers'

const gateway = trackedGateway()

async function fill(tenant: Awaited<ReturnType<typeof cachingTenant>>) {
  await ask(gateway, tenant, { model: 'mock-gpt', messages: user('How do I reset my password?') })
  await ask(gateway, tenant, { model: 'mock-gpt', messages: user('Name a large river.') })
}

const paraphrase = { model: 'mock-gpt', messages: user('How can I reset my password?') }
const exact = { model: 'mock-gpt', messages: user('Name a large river.') }

describe('cache management', () => {
  it('DELETE /v1/cache empties the calling tenant only, exact and semantic', async () => {
    const [mine, theirs] = [await cachingTenant(), await cachingTenant()]
    await fill(mine)
    await fill(theirs)
    const response = await gateway.fetch('http://gateway/v1/cache', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${mine.secret}` },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      object: 'cache.purged',
      exact_entries: 2,
      semantic_entries: 2,
    })
    expect((await ask(gateway, mine, exact)).cache).toBe('MISS')
    expect((await ask(gateway, mine, paraphrase)).cache).toBe('MISS')
    expect((await ask(gateway, theirs, exact)).cache).toBe('HIT')
    expect((await ask(gateway, theirs, paraphrase)).cache).toBe('SEMANTIC-HIT')
  })

  it('purges a tenant through the admin API, and only with the admin token', async () => {
    const tenant = await cachingTenant()
    await fill(tenant)
    const url = `http://gateway/admin/tenants/${tenant.tenantId}/cache`
    const asTenant = await gateway.fetch(url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tenant.secret}` },
    })
    expect(asTenant.status).toBe(401)
    await asTenant.body?.cancel()
    const response = await gateway.fetch(url, { method: 'DELETE', headers: ADMIN_HEADERS })
    expect(await response.json()).toEqual({
      tenant_id: tenant.tenantId,
      object: 'cache.purged',
      exact_entries: 2,
      semantic_entries: 2,
    })
    expect((await ask(gateway, tenant, exact)).cache).toBe('MISS')
    const unknown = await gateway.fetch('http://gateway/admin/tenants/tn_nobody/cache', {
      method: 'DELETE',
      headers: ADMIN_HEADERS,
    })
    expect(unknown.status).toBe(404)
    await unknown.body?.cancel()
  })

  it('erases the cache with the tenant', async () => {
    const tenant = await cachingTenant()
    await fill(tenant)
    const response = await gateway.fetch(`http://gateway/admin/tenants/${tenant.tenantId}`, {
      method: 'DELETE',
      headers: ADMIN_HEADERS,
    })
    const { removed } = (await response.json()) as { removed: Record<string, number> }
    expect(removed.cache).toBe(4)
  })
})
