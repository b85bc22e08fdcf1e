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

describe('tenant and key config: values outside sane ranges', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'tenants',
      { name: 'x', config: { pricing: { 'mock/*': { input: 1e308, output: 1 } } } },
      'config.pricing.mock/*.input',
    ],
    [
      'tenants',
      { name: 'x', config: { pricing: { m: { input: 1, output: 1, cached: 1e6 } } } },
      'config.pricing.m.cached',
    ],
    [
      'tenants',
      { name: 'x', config: { budget: { monthly_hard_usd: 1e308 } } },
      'config.budget.monthly_hard_usd',
    ],
    [
      'tenants',
      { name: 'x', config: { budget: { monthly_soft_usd: 1e7 } } },
      'config.budget.monthly_soft_usd',
    ],
    [
      'tenants',
      { name: 'x', config: { limits: { requests_per_minute: 1e12 } } },
      'config.limits.requests_per_minute',
    ],
    [
      'tenants',
      { name: 'x', config: { limits: { tokens_per_minute: 1e300 } } },
      'config.limits.tokens_per_minute',
    ],
    [
      'tenants',
      { name: 'x', config: { limits: { max_concurrent: 1e9 } } },
      'config.limits.max_concurrent',
    ],
    [
      'tenants',
      { name: 'x', config: { default_max_output_tokens: 1e15 } },
      'config.default_max_output_tokens',
    ],
    ['keys', { requests_per_minute: 1e12 }, 'requests_per_minute'],
    ['keys', { budget: { monthly_hard_usd: 1e308 } }, 'budget.monthly_hard_usd'],
  ])('POST %s %j is a 400 naming the field', async (target, body, param) => {
    const path = target === 'keys' ? `/admin/tenants/${id}/keys` : '/admin/tenants'
    const result = await failure(await admin(path, 'POST', body))
    expect(result).toMatchObject({ status: 400, code: 'invalid_request', param })
  })

  it('accepts the bounds themselves', async () => {
    await createTenant({
      pricing: { 'mock/*': { input: 10_000, output: 10_000, cached: 0 } },
      budget: { monthly_hard_usd: 1_000_000, monthly_soft_usd: 0 },
      limits: { requests_per_minute: 1_000_000_000, max_concurrent: 100_000 },
    })
  })
})
