import { describe, expect, it } from 'vitest'
import { adminJson, chat, createKey, failure, gateway, tenantWithKey, withKey } from './fixtures'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function status(
  path: string,
  headers: Record<string, string>
): Promise<{ status: number; code: unknown }> {
  const response = await gateway(path, { headers })
  if (response.status === 200) {
    await response.body?.cancel()
    return { status: 200, code: null }
  }
  const { code } = await failure(response)
  return { status: response.status, code }
}

describe('client authentication', () => {
  it('answers every bad credential with 401 in the OpenAI envelope', async () => {
    const { secret } = await tenantWithKey()
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'missing_api_key'],
      [{ authorization: '' }, 'missing_api_key'],
      [{ authorization: 'Bearer' }, 'invalid_api_key'],
      [{ authorization: `Basic ${secret}` }, 'invalid_api_key'],
      [{ authorization: `Bearer ${secret.slice(0, -1)}` }, 'invalid_api_key'],
      [{ authorization: `Bearer ${secret}x` }, 'invalid_api_key'],
      [{ authorization: 'Bearer sk-proj-0123456789abcdef0123456789abcdef' }, 'invalid_api_key'],
      [{ authorization: `Bearer sk-gw-${'A'.repeat(32)}` }, 'invalid_api_key'],
      [{ 'x-api-key': `sk-gw-${'B'.repeat(32)}` }, 'invalid_api_key'],
      [{ authorization: 'Bearer test-admin-token-0123456789' }, 'invalid_api_key'],
    ]
    for (const path of ['/v1/usage', '/v1/models']) {
      for (const [headers, code] of cases) {
        const response = await gateway(path, { headers })
        expect(response.headers.get('www-authenticate')).toBe('Bearer')
        expect(await failure(response), `${path} ${JSON.stringify(headers)}`).toMatchObject({
          status: 401,
          type: 'authentication_error',
          code,
          param: null,
        })
      }
    }
    const chatResponse = await gateway('/v1/chat/completions', { method: 'POST', body: '{}' })
    expect(await failure(chatResponse)).toMatchObject({ status: 401, code: 'missing_api_key' })
  })

  it('accepts the key as a Bearer token or as x-api-key', async () => {
    const { secret } = await tenantWithKey()
    expect((await status('/v1/usage', { authorization: `Bearer ${secret}` })).status).toBe(200)
    expect((await status('/v1/usage', { authorization: `bearer   ${secret}` })).status).toBe(200)
    expect((await status('/v1/usage', { 'x-api-key': secret })).status).toBe(200)
  })

  it('refuses a revoked key at once in this isolate', async () => {
    const { keyId, secret } = await tenantWithKey()
    expect((await status('/v1/usage', { authorization: `Bearer ${secret}` })).status).toBe(200)
    const revoked = await adminJson(`/admin/keys/${keyId}`, 'DELETE')
    expect(revoked.revoked_at).toMatch(/^\d{4}-/)
    expect(await status('/v1/usage', { authorization: `Bearer ${secret}` })).toEqual({
      status: 401,
      code: 'invalid_api_key',
    })
    // Revoking twice is harmless; rotating a revoked key is refused.
    await adminJson(`/admin/keys/${keyId}`, 'DELETE')
    await adminJson(`/admin/keys/${keyId}/rotate`, 'POST', {}, 409)
  })

  it('refuses an expired key, even while it is cached', async () => {
    const { tenantId } = await tenantWithKey()
    const key = await createKey(tenantId, { expires_at: new Date(Date.now() + 1500).toISOString() })
    expect((await status('/v1/usage', { authorization: `Bearer ${key.secret}` })).status).toBe(200)
    await sleep(1600)
    expect(await status('/v1/usage', { authorization: `Bearer ${key.secret}` })).toEqual({
      status: 401,
      code: 'expired_api_key',
    })
  })

  it('keeps the old secret working for the grace period after a rotation, then not', async () => {
    const { keyId, secret: oldSecret } = await tenantWithKey()
    expect((await status('/v1/usage', { authorization: `Bearer ${oldSecret}` })).status).toBe(200)
    const rotated = await adminJson(`/admin/keys/${keyId}/rotate`, 'POST', { grace_seconds: 2 })
    const newSecret = String(rotated.secret)
    expect(newSecret).not.toBe(oldSecret)
    expect(rotated).toMatchObject({ id: keyId, prefix: newSecret.slice(0, 10) })
    expect(
      Date.parse(String(rotated.previous_secret_valid_until)) - Date.now()
    ).toBeLessThanOrEqual(2000)
    expect((await status('/v1/usage', { authorization: `Bearer ${oldSecret}` })).status).toBe(200)
    expect((await status('/v1/usage', { authorization: `Bearer ${newSecret}` })).status).toBe(200)
    await sleep(2100)
    expect(await status('/v1/usage', { authorization: `Bearer ${oldSecret}` })).toEqual({
      status: 401,
      code: 'invalid_api_key',
    })
    expect((await status('/v1/usage', { authorization: `Bearer ${newSecret}` })).status).toBe(200)

    // Without grace the old secret stops at once.
    const again = await adminJson(`/admin/keys/${keyId}/rotate`, 'POST', { grace_seconds: 0 })
    expect(await status('/v1/usage', { authorization: `Bearer ${newSecret}` })).toEqual({
      status: 401,
      code: 'invalid_api_key',
    })
    expect(
      (await status('/v1/usage', { authorization: `Bearer ${String(again.secret)}` })).status
    ).toBe(200)
  })
})

describe('scopes', () => {
  it('enforces the endpoint scope on the request path', async () => {
    const { secret } = await tenantWithKey({}, { scopes: { endpoints: ['/v1/chat/*'] } })
    expect(await status('/v1/usage', { authorization: `Bearer ${secret}` })).toEqual({
      status: 403,
      code: 'endpoint_not_allowed',
    })
    expect(await status('/v1/models', { authorization: `Bearer ${secret}` })).toEqual({
      status: 403,
      code: 'endpoint_not_allowed',
    })
    const response = await chat(secret, { model: 'mock/scoped', max_tokens: 5 })
    expect(response.status).toBe(200)
    await response.body?.cancel()
  })

  it('enforces model scopes of the key and the tenant on the dispatched model', async () => {
    const notFound = { status: 404, code: 'model_not_found' }
    const keyScoped = await tenantWithKey({}, { scopes: { models: ['mock/allowed-*'] } })
    const ok = await chat(keyScoped.secret, { model: 'mock/allowed-1', max_tokens: 5 })
    expect(ok.status).toBe(200)
    await ok.body?.cancel()
    expect(
      await failure(await chat(keyScoped.secret, { model: 'mock/other', max_tokens: 5 }))
    ).toMatchObject(notFound)

    const tenantScoped = await tenantWithKey({ models: ['gpt-4o-mini'] })
    expect(
      await failure(await chat(tenantScoped.secret, { model: 'mock/x', max_tokens: 5 }))
    ).toMatchObject(notFound)
  })

  it('checks the model an alias resolves to, not the alias', async () => {
    // The catalog's alias `mock` dispatches to mock/mock-gpt.
    const byTarget = await tenantWithKey({}, { scopes: { models: ['mock/mock-gpt'] } })
    const ok = await chat(byTarget.secret, { model: 'mock', max_tokens: 5 })
    expect(ok.status).toBe(200)
    await ok.body?.cancel()
    const byAliasName = await tenantWithKey({}, { scopes: { models: ['mock'] } })
    expect(
      await failure(await chat(byAliasName.secret, { model: 'mock', max_tokens: 5 }))
    ).toMatchObject({ status: 404 })
    const elsewhere = await tenantWithKey({}, { scopes: { models: ['gpt-4o-mini'] } })
    expect(
      await failure(await chat(elsewhere.secret, { model: 'mock', max_tokens: 5 }))
    ).toMatchObject({ status: 404 })
    const tenantOnly = await tenantWithKey({ models: ['openai/*'] })
    expect(
      await failure(await chat(tenantOnly.secret, { model: 'mock', max_tokens: 5 }))
    ).toMatchObject({ status: 404 })
  })
})

describe('cross-tenant isolation', () => {
  it('never shows one tenant the usage of another', async () => {
    const a = await tenantWithKey()
    const b = await tenantWithKey()
    const served = await chat(b.secret, { model: 'mock/b-only', max_tokens: 5 })
    expect(served.status).toBe(200)
    await served.body?.cancel()
    await expect
      .poll(async () => (await adminJson(`/admin/tenants/${b.tenantId}/usage`)).total)
      .toMatchObject({ requests: 1 })
    for (const path of [
      '/v1/usage',
      `/v1/usage?tenant_id=${b.tenantId}`,
      `/v1/usage?tenant=${b.tenantId}&group_by=key`,
    ]) {
      const response = await gateway(path, withKey(a.secret))
      const body: { tenant_id: string; total: { requests: number } } = await response.json()
      expect(body.tenant_id).toBe(a.tenantId)
      expect(body.total.requests).toBe(0)
    }
    // A's key cannot be turned into B's by any header.
    const spoofed = await gateway(
      '/v1/usage',
      withKey(a.secret, { headers: { 'x-tenant-id': b.tenantId } })
    )
    expect(((await spoofed.json()) as { tenant_id: string }).tenant_id).toBe(a.tenantId)
  })
})
