import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { buildDeps } from '../../src/deps'
import type { Bindings } from '../../src/env'
import { servedBy } from '../helpers/gateway'
import { BASE, gatewayRedis, TEST_ADMIN_TOKEN } from './fixtures'

const redis = gatewayRedis()

/** Feature data kept outside Redis, as a third feature's eraser would report it. */
const erased: string[] = []
const deps = buildDeps(loadConfig(env as Bindings))
const app = createApp({
  ...deps,
  erasers: [
    ...deps.erasers,
    {
      name: 'test_documents',
      async erase(tenantId) {
        erased.push(tenantId)
        return 3
      },
    },
  ],
})

/** The app built with the extra eraser: the erasure must run exactly the list it was given. */
const served = servedBy({ app })

async function call(
  path: string,
  init: { method?: string; body?: unknown; secret?: string } = {}
): Promise<Response> {
  const response = await served.fetch(`${BASE}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.secret ?? TEST_ADMIN_TOKEN}`,
      'content-type': 'application/json',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  await served.settled()
  return response
}

/** Every key under the tenant's prefix: SCAN walks the whole keyspace, so follow the cursor. */
async function tenantKeys(tenantId: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, { match: `gw:t:${tenantId}:*`, count: 1000 })
    found.push(...keys)
    cursor = String(next)
  } while (cursor !== '0')
  return found
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return response.json()
}

describe('tenant erasure', () => {
  it('removes keys, usage, budgets, limit counters and the data of every listed eraser, and says so', async () => {
    const tenant = await json(
      await call('/admin/tenants', {
        method: 'POST',
        body: {
          name: 'doomed',
          config: { limits: { requests_per_minute: 100, tokens_per_minute: 10_000 } },
        },
      })
    )
    const tenantId = String(tenant.id)
    const keys = [
      await json(
        await call(`/admin/tenants/${tenantId}/keys`, { method: 'POST', body: { name: 'a' } })
      ),
      await json(
        await call(`/admin/tenants/${tenantId}/keys`, { method: 'POST', body: { name: 'b' } })
      ),
    ]
    const secret = String(keys[0]?.secret)
    const served = await call('/v1/chat/completions', {
      method: 'POST',
      secret,
      body: {
        model: 'mock/erase',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'remember me' }],
      },
    })
    expect(served.status).toBe(200)
    await served.body?.cancel()
    const before = await tenantKeys(tenantId)
    expect(before.length).toBeGreaterThanOrEqual(5)

    const deleted = await json(await call(`/admin/tenants/${tenantId}`, { method: 'DELETE' }))
    expect(deleted).toMatchObject({
      id: tenantId,
      object: 'tenant.deleted',
      deleted: true,
      removed: { api_keys: 2, test_documents: 3, redis_entries: before.length },
    })
    expect(erased).toEqual([tenantId])

    expect(await tenantKeys(tenantId)).toEqual([])
    expect(await redis.hmget('gw:key-owners', String(keys[0]?.id), String(keys[1]?.id))).toBeNull()
    expect((await call(`/admin/tenants/${tenantId}`)).status).toBe(404)
    const refused = await call('/v1/usage', { secret })
    expect(refused.status).toBe(401)
    await refused.body?.cancel()
    const list = await json(await call('/admin/tenants'))
    expect((list.data as Array<{ id: string }>).some((t) => t.id === tenantId)).toBe(false)
  })
})
