import { describe, expect, it } from 'vitest'
import {
  adminJson,
  chat,
  createKey,
  failure,
  gatewayRedis,
  reportedUsage,
  tenantWithKey,
} from '../tenancy/fixtures'

const redis = gatewayRedis()
const month = () => new Date().toISOString().slice(0, 7)

/** The mock provider's list price: $1 per million input tokens, $2 per million output tokens. */
function microUsd(usage: { prompt_tokens: number; completion_tokens: number }): number {
  return usage.prompt_tokens * 1 + usage.completion_tokens * 2
}

async function burst(secret: string, count: number, model: string, maxTokens: number) {
  const responses = await Promise.all(
    Array.from({ length: count }, () => chat(secret, { model, max_tokens: maxTokens }))
  )
  const served = responses.filter((r) => r.status === 200)
  const usages = await Promise.all(served.map(reportedUsage))
  const refusals = await Promise.all(responses.filter((r) => r.status !== 200).map(failure))
  return { usages, refusals }
}

describe('monthly budgets', () => {
  it('does not overshoot a hard cap under a concurrent race', async () => {
    // Each request reserves ~2,000 micro-USD (1,000 output tokens at $2/M) and spends about that.
    const capMicro = 10_000
    const { tenantId, secret } = await tenantWithKey({
      budget: { monthly_hard_usd: capMicro / 1e6 },
    })
    const model = 'mock/budget:tokens=990,ttft=150'
    const first = await burst(secret, 50, model, 1000)
    expect(first.usages.length).toBeGreaterThan(0)
    expect(first.usages.length).toBeLessThanOrEqual(4)
    expect(first.refusals.every((r) => r.status === 429 && r.type === 'insufficient_quota')).toBe(
      true
    )

    // Once settled the counter holds exactly what was spent, and a second wave finds no room.
    const spent = first.usages.reduce((sum, usage) => sum + microUsd(usage), 0)
    expect(spent).toBeLessThanOrEqual(capMicro)
    const counter = `gw:t:${tenantId}:spend:${month()}`
    await expect.poll(async () => Number(await redis.get(counter)), { timeout: 5000 }).toBe(spent)
    const second = await burst(secret, 20, model, 1000)
    const total = spent + second.usages.reduce((sum, usage) => sum + microUsd(usage), 0)
    expect(total).toBeLessThanOrEqual(capMicro)
    expect(second.refusals.length).toBeGreaterThan(0)
    expect(second.refusals[0]).toMatchObject({
      status: 429,
      type: 'insufficient_quota',
      code: 'monthly_budget_exceeded',
    })
    // The usage API agrees with the budget counter.
    await expect
      .poll(async () => (await adminJson(`/admin/tenants/${tenantId}/usage`)).total)
      .toMatchObject({ cost_usd: total / 1e6 })
  })

  it('refunds the reservation of a failed request', async () => {
    const { tenantId, secret } = await tenantWithKey({ budget: { monthly_hard_usd: 1 } })
    const response = await chat(secret, { model: 'mock/b:status=400', max_tokens: 1000 })
    expect(response.status).toBeGreaterThanOrEqual(400)
    await response.body?.cancel()
    await expect
      .poll(async () => Number(await redis.get(`gw:t:${tenantId}:spend:${month()}`)), {
        timeout: 5000,
      })
      .toBe(0)
  })

  it('applies a key budget to that key only', async () => {
    const { tenantId, secret } = await tenantWithKey({}, { budget: { monthly_hard_usd: 0 } })
    expect(await failure(await chat(secret, { model: 'mock/k', max_tokens: 5 }))).toMatchObject({
      status: 429,
      type: 'insufficient_quota',
    })
    const other = await createKey(tenantId)
    const ok = await chat(other.secret, { model: 'mock/k', max_tokens: 5 })
    expect(ok.status).toBe(200)
    await ok.body?.cancel()
  })

  it('warns past a soft cap without refusing', async () => {
    const { secret } = await tenantWithKey({
      budget: { monthly_soft_usd: 0.000001, monthly_hard_usd: 5 },
    })
    const response = await chat(secret, { model: 'mock/soft', max_tokens: 5 })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-gateway-budget-warning')).toMatch(
      /this tenant passed its monthly soft cap/
    )
    await response.body?.cancel()
  })

  it('prices with the tenant override over the table', async () => {
    const { tenantId, secret } = await tenantWithKey({
      pricing: { 'mock/*': { input: 100, output: 1000 } },
    })
    const usage = await reportedUsage(await chat(secret, { model: 'mock/priced', max_tokens: 5 }))
    const expected = (usage.prompt_tokens * 100 + usage.completion_tokens * 1000) / 1e6
    await expect
      .poll(async () => (await adminJson(`/admin/tenants/${tenantId}/usage`)).total)
      .toMatchObject({ cost_usd: expected })
  })
})

describe('worst-case reservations', () => {
  it('counts every choice of n: a request that cannot fit is refused up front', async () => {
    const { secret } = await tenantWithKey({
      budget: { monthly_hard_usd: 0.25 },
      limits: { tokens_per_minute: 300 },
    })
    // 16 choices of up to 200 tokens: 3,200 output tokens against a limit of 300.
    const refused = await failure(await chat(secret, { model: 'mock/n', n: 16, max_tokens: 200 }))
    expect(refused).toMatchObject({ status: 429, code: 'tokens_per_minute_exceeded' })
    expect(refused.message).toMatch(/reserves 3\d{3}\b/)
    const fits = await chat(secret, { model: 'mock/n', n: 2, max_tokens: 100 })
    expect(fits.status).toBe(200)
    await fits.body?.cancel()
  })

  it('reserves n times the output against the budget', async () => {
    // $2 per million output tokens: 8 choices x 1,000 tokens is 16,000 micro-USD, over a 10,000 cap.
    const { secret } = await tenantWithKey({ budget: { monthly_hard_usd: 0.01 } })
    expect(
      await failure(await chat(secret, { model: 'mock/n', n: 8, max_tokens: 1000 }))
    ).toMatchObject({
      status: 429,
      type: 'insufficient_quota',
      code: 'monthly_budget_exceeded',
    })
    const single = await chat(secret, { model: 'mock/n', n: 1, max_tokens: 1000 })
    expect(single.status).toBe(200)
    await single.body?.cancel()
  })

  it('says so when a request without max_tokens is refused for its default reservation', async () => {
    const { secret } = await tenantWithKey({ budget: { monthly_hard_usd: 0.001 } })
    const refused = await failure(await chat(secret, { model: 'mock/n' }))
    expect(refused).toMatchObject({ status: 429, code: 'monthly_budget_exceeded' })
    expect(refused.message).toMatch(/sets no max_tokens/)
  })
})
