import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { BASE, TEST_ADMIN_TOKEN, tenantWithKey } from '../tenancy/fixtures'

/** Nothing listens on the discard port: every call is refused at once. */
const DEAD = 'http://127.0.0.1:9'
const redisDown: Bindings = { ...env, UPSTASH_REDIS_REST_URL: DEAD }
const vectorDown: Bindings = { ...env, UPSTASH_VECTOR_REST_URL: DEAD }

async function call(
  bindings: Bindings,
  path: string,
  secret: string,
  init: RequestInit = {}
): Promise<Response> {
  const ctx = createExecutionContext()
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    }),
    bindings,
    ctx
  )
  await waitOnExecutionContext(ctx)
  return response
}

async function expectUnavailable(response: Response, code: string): Promise<string> {
  const body = (await response.json()) as { error: { type: string; code: string; message: string } }
  expect({ status: response.status, ...body.error }).toMatchObject({
    status: 503,
    type: 'service_unavailable',
    code,
  })
  expect(response.headers.get('retry-after')).toBe('1')
  return body.error.message
}

let tenant: { tenantId: string; keyId: string; secret: string }
const collection = `dep-${crypto.randomUUID().slice(0, 8)}`

beforeAll(async () => {
  tenant = await tenantWithKey()
  // Resolved once while Redis is up, as a key would have been before an outage.
  expect((await call(env, '/v1/models', tenant.secret)).status).toBe(200)
  const created = await call(env, '/v1/collections', tenant.secret, {
    method: 'POST',
    body: JSON.stringify({ name: collection }),
  })
  expect(created.status).toBe(201)
})

describe('a dependency outage is a 503 naming the dependency', () => {
  it('Redis down: admin API, usage and collections', async () => {
    await expectUnavailable(
      await call(redisDown, '/admin/tenants', TEST_ADMIN_TOKEN),
      'redis_unavailable'
    )
    await expectUnavailable(
      await call(redisDown, `/admin/tenants/${tenant.tenantId}`, TEST_ADMIN_TOKEN),
      'redis_unavailable'
    )
    await expectUnavailable(await call(redisDown, '/v1/usage', tenant.secret), 'redis_unavailable')
    await expectUnavailable(
      await call(redisDown, '/v1/collections', tenant.secret),
      'redis_unavailable'
    )
  })

  it('Redis down: a revoke says it was not written, and the key indeed still works', async () => {
    const message = await expectUnavailable(
      await call(redisDown, `/admin/keys/${tenant.keyId}`, TEST_ADMIN_TOKEN, { method: 'DELETE' }),
      'redis_unavailable'
    )
    expect(message).toMatch(/NOT revoked/)
    expect((await call(env, '/v1/models', tenant.secret)).status).toBe(200)
  })

  it('Vector down: document upload and DELETE /v1/cache', async () => {
    await expectUnavailable(
      await call(vectorDown, `/v1/collections/${collection}/documents`, tenant.secret, {
        method: 'POST',
        body: JSON.stringify({ id: 'd', text: 'Some text worth indexing.' }),
      }),
      'vector_unavailable'
    )
    await expectUnavailable(
      await call(vectorDown, '/v1/cache', tenant.secret, { method: 'DELETE' }),
      'vector_unavailable'
    )
  })
})
