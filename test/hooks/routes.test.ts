import { describe, expect, it } from 'vitest'
import { HOOK_OWNERS, hooksKey } from '../../src/hooks/store'
import { mintToken } from '../end-users/fixtures'
import {
  admin,
  adminJson,
  createKey,
  failure,
  gatewayRedis,
  tenantWithKey,
} from '../tenancy/fixtures'
import { createHook, hooksApi } from './fixtures'

const github = {
  name: 'issues',
  verifier: 'github',
  secret: "It's a Secret to Everybody",
  template: 'Summarise issue {{issue.title}}: {{issue.body}}',
  model: 'mock/m',
}

describe('/v1/hooks', () => {
  it('creates a hook, shows its secret once, and stores it sealed', async () => {
    const { tenantId, secret } = await tenantWithKey()
    const hook = await createHook(secret, { ...github, max_output_tokens: 64, temperature: 0.2 })
    expect(hook).toMatchObject({
      object: 'hook',
      verifier: 'github',
      secret: github.secret,
      enabled: true,
      tolerance_seconds: 300,
      max_output_tokens: 64,
      temperature: 0.2,
      instructions: null,
    })
    expect(hook.id).toMatch(/^hook_[A-Za-z0-9_-]{24}$/)
    expect(hook.url).toBe(`http://gateway.test/hooks/${hook.id}`)
    const shown = await (await hooksApi(secret, `/${hook.id}`)).json()
    expect(shown).toEqual({ ...hook, secret: undefined })
    expect(JSON.stringify(shown)).not.toContain(github.secret)
    const stored = JSON.stringify(await gatewayRedis().hget(hooksKey(tenantId), hook.id))
    expect(stored).toContain('secret_sealed')
    expect(stored).not.toContain(github.secret)
    expect(await gatewayRedis().hget(HOOK_OWNERS, hook.id)).toBe(tenantId)
  })

  it('generates a whsec_ secret of 32 bytes for a standard-webhooks hook without one', async () => {
    const { secret } = await tenantWithKey()
    const hook = await createHook(secret, {
      verifier: 'standard-webhooks',
      template: '{{data.id}}',
      model: 'mock/m',
    })
    // The same secrets as the gateway's own endpoints get: 32 random bytes, standard base64.
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
  })

  it('refuses a broken template, naming the problem, and a secret the verifier cannot use', async () => {
    const { secret } = await tenantWithKey()
    const broken = await hooksApi(secret, '', 'POST', { ...github, template: 'Hi {{issue.title' })
    expect(await failure(broken)).toMatchObject({
      status: 400,
      param: 'template',
      code: 'invalid_template',
      message: 'Invalid template: the {{ at character 3 is never closed.',
    })
    const proto = await hooksApi(secret, '', 'POST', { ...github, template: '{{__proto__.x}}' })
    expect(await failure(proto)).toMatchObject({ status: 400, code: 'invalid_template' })
    const { secret: _none, ...noSecret } = github
    expect(await failure(await hooksApi(secret, '', 'POST', noSecret))).toMatchObject({
      status: 400,
      param: 'secret',
      code: 'invalid_secret',
    })
    const shortBearer = { ...github, verifier: 'bearer', secret: 'short-token' }
    expect(await failure(await hooksApi(secret, '', 'POST', shortBearer))).toMatchObject({
      status: 400,
      code: 'invalid_secret',
    })
    const badWhsec = { ...github, verifier: 'standard-webhooks', secret: 'whsec_c2hvcnQ=' }
    expect(await failure(await hooksApi(secret, '', 'POST', badWhsec))).toMatchObject({
      status: 400,
      code: 'invalid_secret',
    })
    const unknown = await hooksApi(secret, '', 'POST', { ...github, verifier: 'gitlab' })
    expect(await failure(unknown)).toMatchObject({ status: 400, param: 'verifier' })
  })

  it('updates what may change, keeps the rest, and never the verifier', async () => {
    const { secret } = await tenantWithKey()
    const hook = await createHook(secret, { ...github, instructions: 'Be brief.' })
    const response = await hooksApi(secret, `/${hook.id}`, 'POST', {
      template: 'New: {{issue.title}}',
      enabled: false,
      instructions: null,
      tolerance_seconds: 60,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      id: hook.id,
      template: 'New: {{issue.title}}',
      enabled: false,
      instructions: null,
      tolerance_seconds: 60,
      model: 'mock/m',
      name: 'issues',
    })
    const verifier = await hooksApi(secret, `/${hook.id}`, 'POST', { verifier: 'stripe' })
    expect(await failure(verifier)).toMatchObject({ status: 400, param: 'verifier' })
    const template = await hooksApi(secret, `/${hook.id}`, 'POST', { template: '{{}}' })
    expect(await failure(template)).toMatchObject({ status: 400, code: 'invalid_template' })
  })

  it('belongs to the key that created it: another key of the tenant sees a 404', async () => {
    const { tenantId, secret } = await tenantWithKey()
    const other = await createKey(tenantId)
    const hook = await createHook(secret, github)
    for (const [path, method] of [
      [`/${hook.id}`, 'GET'],
      [`/${hook.id}`, 'POST'],
      [`/${hook.id}`, 'DELETE'],
    ] as const) {
      const response = await hooksApi(
        other.secret,
        path,
        method,
        method === 'POST' ? {} : undefined
      )
      expect(await failure(response)).toMatchObject({ status: 404, code: 'hook_not_found' })
    }
    const theirs = await (await hooksApi(other.secret)).json()
    expect(theirs).toEqual({ object: 'list', data: [] })
    const mine = (await (await hooksApi(secret)).json()) as { data: { id: string }[] }
    expect(mine.data.map((listed) => listed.id)).toEqual([hook.id])
  })

  it('deletes a hook and its index entry', async () => {
    const { secret } = await tenantWithKey()
    const hook = await createHook(secret, github)
    const deleted = await hooksApi(secret, `/${hook.id}`, 'DELETE')
    expect(await deleted.json()).toEqual({ id: hook.id, object: 'hook', deleted: true })
    expect(await failure(await hooksApi(secret, `/${hook.id}`))).toMatchObject({ status: 404 })
    expect(await gatewayRedis().hget(HOOK_OWNERS, hook.id)).toBeNull()
  })

  it("goes with its tenant's erasure, index entry included", async () => {
    const { tenantId, secret } = await tenantWithKey()
    const hook = await createHook(secret, github)
    const report = await adminJson(`/admin/tenants/${tenantId}`, 'DELETE')
    expect(report.removed).toMatchObject({ hooks: 1 })
    expect(await gatewayRedis().hget(HOOK_OWNERS, hook.id)).toBeNull()
    expect(await gatewayRedis().hget(hooksKey(tenantId), hook.id)).toBeNull()
  })

  it('needs a key that may call /v1/responses, and is closed to end users', async () => {
    const { tenantId, secret } = await tenantWithKey({ end_users: { cors_origins: [] } })
    const narrow = await createKey(tenantId, {
      scopes: { endpoints: ['/v1/hooks', '/v1/hooks/*'] },
    })
    expect(await failure(await hooksApi(narrow.secret, '', 'POST', github))).toMatchObject({
      status: 403,
      code: 'endpoint_not_allowed',
    })
    const { token } = await mintToken(secret, { user: 'u', ttl_seconds: 60 })
    expect(await failure(await hooksApi(token))).toMatchObject({
      status: 403,
      code: 'end_user_endpoint_not_allowed',
    })
  })

  it('is reachable from the admin API, whichever key created it, and can be disabled there', async () => {
    const { tenantId, keyId, secret } = await tenantWithKey()
    const hook = await createHook(secret, github)
    const base = `/admin/tenants/${tenantId}/hooks`
    const list = await adminJson(base)
    expect(list.data).toEqual([{ ...hook, secret: undefined, key_id: keyId }])
    const disabled = await adminJson(`${base}/${hook.id}`, 'POST', { enabled: false })
    expect(disabled).toMatchObject({ id: hook.id, enabled: false, key_id: keyId })
    expect(await (await hooksApi(secret, `/${hook.id}`)).json()).toMatchObject({ enabled: false })
    expect(await failure(await admin(`${base}/hook_nope`))).toMatchObject({
      status: 404,
      code: 'hook_not_found',
    })
    const other = await tenantWithKey()
    const elsewhere = await admin(`/admin/tenants/${other.tenantId}/hooks/${hook.id}`)
    expect(await failure(elsewhere)).toMatchObject({ status: 404, code: 'hook_not_found' })
    expect(await adminJson(`${base}/${hook.id}`, 'DELETE')).toEqual({
      id: hook.id,
      object: 'hook',
      deleted: true,
    })
    expect(await adminJson(base)).toEqual({ object: 'list', data: [] })
  })
})
