import { beforeAll, describe, expect, it } from 'vitest'
import { admin, adminJson, createTenant, failure } from './fixtures'

let id: string

beforeAll(async () => {
  id = await createTenant({ budget: { monthly_hard_usd: 1 } })
})

describe('tenant and key config: unknown fields at any depth', () => {
  it.each<[string, string, Record<string, unknown>, string]>([
    ['PATCH', 'tenant', { config: { budget: { monthly_hard: 5 } } }, 'config.budget.monthly_hard'],
    [
      'PATCH',
      'tenant',
      { config: { limits: { request_per_minute: 10 } } },
      'config.limits.request_per_minute',
    ],
    [
      'PATCH',
      'tenant',
      { config: { pricing: { 'mock/*': { input: 1, output: 1, cahced: 1 } } } },
      'config.pricing.mock/*.cahced',
    ],
    [
      'PATCH',
      'tenant',
      { config: { providers: { openai: { api_key: 'sk-x', baseurl: 'https://x' } } } },
      'config.providers.openai.baseurl',
    ],
    [
      'PATCH',
      'tenant',
      { config: { cache: { semantic: { on: true } } } },
      'config.cache.semantic.on',
    ],
    ['POST', 'tenants', { name: 'x', config: { budget: { soft: 1 } } }, 'config.budget.soft'],
    ['POST', 'keys', { budget: { monthly_hard_usd: 1, hard: 2 } }, 'budget.hard'],
  ])('%s %s %j is a 400 naming the field', async (method, target, body, param) => {
    const path = {
      tenant: `/admin/tenants/${id}`,
      tenants: '/admin/tenants',
      keys: `/admin/tenants/${id}/keys`,
    }[target]
    const result = await failure(await admin(path ?? '', method, body))
    expect(result).toMatchObject({ status: 400, code: 'invalid_request', param })
  })

  it('leaves the stored config as it was after a refused change', async () => {
    const tenant = await adminJson(`/admin/tenants/${id}`)
    expect(tenant.config).toMatchObject({ budget: { monthly_hard_usd: 1 } })
  })
})
