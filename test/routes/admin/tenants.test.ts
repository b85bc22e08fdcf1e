import { describe, expect, it } from 'vitest'
import {
  admin,
  adminJson,
  createKey,
  createTenant,
  failure,
  gateway,
  withKey,
} from '../../tenancy/fixtures'

describe('admin auth', () => {
  it('refuses a missing, wrong or tenant token on every admin route', async () => {
    const tenantId = await createTenant()
    const key = await createKey(tenantId)
    const routes: Array<[string, string]> = [
      ['POST', '/admin/tenants'],
      ['GET', '/admin/tenants'],
      ['GET', `/admin/tenants/${tenantId}`],
      ['PATCH', `/admin/tenants/${tenantId}`],
      ['DELETE', `/admin/tenants/${tenantId}`],
      ['POST', `/admin/tenants/${tenantId}/keys`],
      ['GET', `/admin/tenants/${tenantId}/keys`],
      ['GET', `/admin/tenants/${tenantId}/usage`],
      ['DELETE', `/admin/keys/${key.id}`],
      ['POST', `/admin/keys/${key.id}/rotate`],
    ]
    const credentials: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-admin-token-0123456789' },
      { authorization: 'Bearer test-admin-token-012345678' },
      { authorization: `Bearer ${key.secret}` },
      { 'x-api-key': key.secret },
      { authorization: 'Basic dGVzdC1hZG1pbi10b2tlbi0wMTIzNDU2Nzg5' },
    ]
    let attempts = 0
    for (const [method, path] of routes) {
      for (const headers of credentials) {
        const response = await gateway(path, {
          method,
          headers: { ...headers, 'content-type': 'application/json' },
          body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        })
        expect(await failure(response)).toMatchObject({ status: 401, type: 'authentication_error' })
        attempts++
      }
    }
    expect(attempts).toBe(60)
    // Nothing was changed by the refused calls.
    const keys = await adminJson(`/admin/tenants/${tenantId}/keys`)
    expect(keys.data).toMatchObject([{ id: key.id, revoked_at: null, rotated_at: null }])
  })
})

describe('tenants CRUD', () => {
  it('creates, reads, lists, patches and validates tenants', async () => {
    const created = await adminJson(
      '/admin/tenants',
      'POST',
      {
        name: 'Acme',
        config: { models: ['mock/*'], limits: { requests_per_minute: 100 }, fail_mode: 'open' },
      },
      201
    )
    expect(created).toMatchObject({
      object: 'tenant',
      name: 'Acme',
      config: { models: ['mock/*'], providers: {} },
    })
    const id = String(created.id)
    expect(id).toMatch(/^tn_/)
    expect(await adminJson(`/admin/tenants/${id}`)).toEqual(created)
    const list = await adminJson('/admin/tenants')
    expect((list.data as Array<{ id: string }>).some((t) => t.id === id)).toBe(true)

    const patched = await adminJson(`/admin/tenants/${id}`, 'PATCH', {
      name: 'Acme Corp',
      config: {
        limits: { tokens_per_minute: 5000 },
        fail_mode: null,
        budget: { monthly_hard_usd: 10 },
      },
    })
    expect(patched).toMatchObject({
      name: 'Acme Corp',
      config: {
        models: ['mock/*'],
        limits: { tokens_per_minute: 5000 },
        budget: { monthly_hard_usd: 10 },
      },
    })
    expect(patched.config).not.toHaveProperty('fail_mode')
    expect((patched.config as { limits: object }).limits).not.toHaveProperty('requests_per_minute')
  })

  it('answers bad input with a 400 naming the field', async () => {
    const id = await createTenant()
    const cases: Array<[string, string, unknown, string | null]> = [
      ['POST', '/admin/tenants', { config: {} }, 'name'],
      [
        'POST',
        '/admin/tenants',
        { name: 'x', config: { limits: { requests_per_minute: 0 } } },
        'config.limits.requests_per_minute',
      ],
      [
        'POST',
        '/admin/tenants',
        { name: 'x', config: { fail_mode: 'sideways' } },
        'config.fail_mode',
      ],
      ['POST', '/admin/tenants', { name: 'x', config: { modles: ['x'] } }, 'config.modles'],
      [
        'PATCH',
        `/admin/tenants/${id}`,
        { config: { budget: { monthly_hard_usd: -1 } } },
        'config.budget.monthly_hard_usd',
      ],
      [
        'PATCH',
        `/admin/tenants/${id}`,
        { config: { providers: { openai: { base_url: 'ftp://x' } } } },
        'config.providers.openai.base_url',
      ],
      [
        'POST',
        `/admin/tenants/${id}/keys`,
        { scopes: { endpoints: ['no-slash'] } },
        'scopes.endpoints[0]',
      ],
      ['POST', `/admin/tenants/${id}/keys`, { expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      ['POST', `/admin/tenants/${id}/keys`, { expires_at: 'tomorrow' }, 'expires_at'],
      ['GET', `/admin/tenants/${id}/usage?group_by=week`, undefined, 'group_by'],
      ['GET', `/admin/tenants/${id}/usage?from=2026-02-01&to=2026-01-01`, undefined, 'to'],
    ]
    for (const [method, path, body, param] of cases) {
      const result = await failure(await admin(path, method, body))
      expect(result, `${method} ${path} ${JSON.stringify(body)}`).toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param,
      })
    }
    const notJson = await gateway('/admin/tenants', {
      method: 'POST',
      headers: {
        authorization: 'Bearer test-admin-token-0123456789',
        'content-type': 'application/json',
      },
      body: '{"name":',
    })
    expect(await failure(notJson)).toMatchObject({ status: 400, code: 'invalid_json' })
  })

  it('answers 404 for unknown tenants and keys', async () => {
    for (const [method, path] of [
      ['GET', '/admin/tenants/tn_nope'],
      ['PATCH', '/admin/tenants/tn_nope'],
      ['DELETE', '/admin/tenants/tn_nope'],
      ['GET', '/admin/tenants/tn_nope/keys'],
      ['POST', '/admin/tenants/tn_nope/keys'],
      ['GET', '/admin/tenants/tn_nope/usage'],
      ['DELETE', '/admin/keys/key_nope'],
      ['POST', '/admin/keys/key_nope/rotate'],
    ]) {
      expect(
        await failure(await admin(path as string, method, method === 'GET' ? undefined : {}))
      ).toMatchObject({ status: 404 })
    }
  })
})

describe('bring your own provider key', () => {
  it('stores the secret sealed, never returns it, and refuses unsafe base URLs', async () => {
    const created = await adminJson(
      '/admin/tenants',
      'POST',
      {
        name: 'byok',
        config: {
          providers: {
            openai: { api_key: 'sk-tenant-secret-123', base_url: 'https://llm.example.com/v1' },
          },
        },
      },
      201
    )
    expect(created.config).toMatchObject({
      providers: { openai: { has_api_key: true, base_url: 'https://llm.example.com/v1' } },
    })
    expect(JSON.stringify(created)).not.toContain('sk-tenant-secret-123')
    const id = String(created.id)
    // A patch without api_key keeps the sealed secret; null removes the provider.
    const kept = await adminJson(`/admin/tenants/${id}`, 'PATCH', {
      config: { providers: { openai: { base_url: 'https://other.example.com' } } },
    })
    expect(kept.config).toMatchObject({
      providers: { openai: { has_api_key: true, base_url: 'https://other.example.com' } },
    })
    const removed = await adminJson(`/admin/tenants/${id}`, 'PATCH', {
      config: { providers: { openai: null } },
    })
    expect(removed.config).toMatchObject({ providers: {} })

    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.8/v1',
      'http://192.168.1.1',
      'http://[fe80::1]/v1',
      'http://metadata.google.internal/',
      'http://user:pass@api.example.com/',
    ]) {
      const result = await failure(
        await admin(`/admin/tenants/${id}`, 'PATCH', {
          config: { providers: { openai: { base_url: url } } },
        })
      )
      expect(result, url).toMatchObject({
        status: 400,
        code: 'unsafe_upstream_url',
        param: 'config.providers.openai.base_url',
      })
    }
    // The local stack allows loopback explicitly (ALLOW_LOOPBACK_UPSTREAMS=true).
    await adminJson(`/admin/tenants/${id}`, 'PATCH', {
      config: { providers: { openai: { base_url: 'http://127.0.0.1:8080/v1' } } },
    })
  })
})

describe('keys', () => {
  it('returns the secret once and lists keys without secrets', async () => {
    const tenantId = await createTenant()
    const created = await adminJson(
      `/admin/tenants/${tenantId}/keys`,
      'POST',
      {
        name: 'ci',
        scopes: { models: ['mock/*'], endpoints: ['/v1/chat/completions'] },
        expires_at: '2099-01-01T00:00:00Z',
      },
      201
    )
    expect(created.secret).toMatch(/^sk-gw-[A-Za-z0-9_-]{32}$/)
    expect(created.prefix).toBe(String(created.secret).slice(0, 10))
    const list = await adminJson(`/admin/tenants/${tenantId}/keys`)
    expect(list.data).toEqual([
      {
        id: created.id,
        object: 'api_key',
        tenant_id: tenantId,
        name: 'ci',
        prefix: created.prefix,
        scopes: { models: ['mock/*'], endpoints: ['/v1/chat/completions'] },
        requests_per_minute: null,
        budget: null,
        created_at: created.created_at,
        last_used_at: null,
        expires_at: '2099-01-01T00:00:00.000Z',
        rotated_at: null,
        revoked_at: null,
      },
    ])
    expect(JSON.stringify(list)).not.toContain(String(created.secret))
  })

  it('records last use after an authenticated request', async () => {
    const tenantId = await createTenant()
    const key = await createKey(tenantId)
    const response = await gateway('/v1/usage', withKey(key.secret))
    expect(response.status).toBe(200)
    await response.body?.cancel()
    await expect
      .poll(
        async () =>
          (
            (await adminJson(`/admin/tenants/${tenantId}/keys`)).data as Array<{
              last_used_at: unknown
            }>
          )[0]?.last_used_at
      )
      .toMatch(/^\d{4}-/)
  })
})
