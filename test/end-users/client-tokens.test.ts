import { describe, expect, it } from 'vitest'
import { CLIENT_TOKEN_PREFIX, readClaims } from '../../src/end-users/client-tokens'
import { toBase64Url } from '../../src/lib/crypto'
import { failure, gateway, tenantWithKey } from '../tenancy/fixtures'
import { APP_ORIGIN, endUserChat, mintToken, patchEndUsers } from './fixtures'

const endUsers = { cors_origins: [APP_ORIGIN, 'https://*.preview.example.com'] }

describe('client tokens', () => {
  it('mints a token that calls chat completions from an allowed origin, with CORS headers', async () => {
    const { secret } = await tenantWithKey({ end_users: endUsers })
    const { token, expires_at } = await mintToken(secret, { user: 'user-1', ttl_seconds: 60 })
    expect(token).toMatch(/^gwct_/)
    expect(expires_at).toBeGreaterThan(Date.now() / 1000 + 50)
    const response = await endUserChat(token)
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
    expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id')
    expect(response.headers.get('vary')).toContain('Origin')
    await response.json()
  })

  it('works without an origin (mobile apps) unless the token is bound to origins', async () => {
    const { secret } = await tenantWithKey({ end_users: endUsers })
    const free = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    const response = await endUserChat(free.token, {})
    expect(response.status).toBe(200)
    await response.text()
    const bound = await mintToken(secret, { user: 'u', ttl_seconds: 60, origins: [APP_ORIGIN] })
    expect(await failure(await endUserChat(bound.token, {}))).toMatchObject({
      status: 401,
      code: 'origin_not_allowed',
    })
  })

  it('refuses origins the tenant does not list, at mint and at use', async () => {
    const { secret } = await tenantWithKey({ end_users: endUsers })
    const mint = await gateway('/v1/client_tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'u', ttl_seconds: 60, origins: ['https://evil.example'] }),
    })
    expect(await failure(mint)).toMatchObject({ status: 400, code: 'origin_not_allowed' })
    const { token } = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    const used = await endUserChat(token, { origin: 'https://evil.example' })
    expect(used.headers.get('access-control-allow-origin')).toBeNull()
    expect(await failure(used)).toMatchObject({ status: 401, code: 'origin_not_allowed' })
  })

  it('reaches inference only: never usage, cache purge or minting', async () => {
    const { secret } = await tenantWithKey({ end_users: endUsers })
    const { token } = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    for (const [method, path] of [
      ['GET', '/v1/usage'],
      ['POST', '/v1/client_tokens'],
      ['POST', '/v1/cache/purge'],
      ['GET', '/v1/collections'],
    ] as const) {
      const response = await gateway(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      })
      expect(await failure(response)).toMatchObject({
        status: 403,
        code: 'end_user_endpoint_not_allowed',
      })
    }
    const models = await gateway('/v1/models', { headers: { authorization: `Bearer ${token}` } })
    expect(models.status).toBe(200)
    await models.json()
  })

  it('never does more than the minting key: models narrow, a revoked key stops its tokens', async () => {
    const { secret, keyId } = await tenantWithKey(
      { end_users: endUsers },
      { scopes: { models: ['mock/*'] } }
    )
    const narrowed = await mintToken(secret, { user: 'u', ttl_seconds: 60, models: ['nothing-*'] })
    // As for a key's scopes: one answer for "no such model" and "not yours".
    expect((await failure(await endUserChat(narrowed.token))).status).toBe(404)
    const { token } = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    const response = await gateway(`/admin/keys/${keyId}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
    })
    expect(response.status).toBeLessThan(300)
    await response.text()
    expect(await failure(await endUserChat(token))).toMatchObject({
      status: 401,
      code: 'end_user_key_invalid',
    })
  })

  it('validates the mint request: ttl 10 to 7200 seconds', async () => {
    const { secret } = await tenantWithKey({ end_users: endUsers })
    for (const ttl of [9, 7201]) {
      const response = await gateway('/v1/client_tokens', {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'u', ttl_seconds: ttl }),
      })
      expect(await failure(response)).toMatchObject({ status: 400, param: 'ttl_seconds' })
    }
  })

  it('revokes every outstanding token with the epoch, and rotation keeps one previous version', async () => {
    const { secret, tenantId } = await tenantWithKey({ end_users: endUsers })
    const before = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    await patchEndUsers(tenantId, { ...endUsers, client_tokens: { signing_version: 2 } })
    const v2 = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    const ok = await endUserChat(before.token)
    expect(ok.status).toBe(200)
    await ok.text()
    await patchEndUsers(tenantId, { ...endUsers, client_tokens: { signing_version: 3 } })
    expect(await failure(await endUserChat(before.token))).toMatchObject({
      status: 401,
      code: 'client_token_rotated',
    })
    await patchEndUsers(tenantId, {
      ...endUsers,
      client_tokens: { signing_version: 3, revoked_before: new Date().toISOString() },
    })
    expect(await failure(await endUserChat(v2.token))).toMatchObject({
      status: 401,
      code: 'client_token_revoked',
    })
    const after = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    const fresh = await endUserChat(after.token)
    expect(fresh.status).toBe(200)
    await fresh.text()
  })
})

describe('CORS preflight', () => {
  it('answers an allowed origin before authentication, echoing SDK headers', async () => {
    await tenantWithKey({ end_users: endUsers })
    const response = await gateway('/v1/chat/completions', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://pr-7.preview.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-stainless-os, x-evil',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe(
      'https://pr-7.preview.example.com'
    )
    const allowed = response.headers.get('access-control-allow-headers') ?? ''
    expect(allowed).toContain('x-stainless-os')
    expect(allowed).toContain('anthropic-dangerous-direct-browser-access')
    expect(allowed).not.toContain('x-evil')
    expect(response.headers.get('access-control-max-age')).toBe('600')
  })

  it('gives a disallowed origin no CORS headers', async () => {
    const response = await gateway('/v1/chat/completions', {
      method: 'OPTIONS',
      headers: { origin: 'https://nobody.invalid', 'access-control-request-method': 'POST' },
    })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(response.headers.get('access-control-allow-methods')).toBeNull()
  })
})

describe('client token claims', () => {
  const token = (claims: Record<string, unknown>) =>
    `${CLIENT_TOKEN_PREFIX}${toBase64Url(new TextEncoder().encode(JSON.stringify(claims)))}.c2ln`
  const valid = { t: 'tn_abc123', k: 'key_abc', u: 'alice', iat: 1, exp: 2, v: 1 }

  it('reads claims shaped as the gateway issues them', () => {
    expect(readClaims(token(valid))).toMatchObject({ t: 'tn_abc123', v: 1 })
  })

  it.each([
    ['a tenant id the gateway never issues', { t: 'x'.repeat(200) }],
    ['a signing version past any tenant setting', { v: 1_000_001 }],
  ])('refuses %s before any key is derived for it', (_, claims) => {
    expect(() => readClaims(token({ ...valid, ...claims }))).toThrow(
      expect.objectContaining({ status: 401, code: 'invalid_client_token' })
    )
  })
})
