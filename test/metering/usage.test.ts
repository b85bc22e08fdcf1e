import { describe, expect, it } from 'vitest'
import {
  adminJson,
  chat,
  createKey,
  gateway,
  reportedUsage,
  tenantWithKey,
  type Usage,
  withKey,
} from '../tenancy/fixtures'

type Totals = {
  requests: number
  prompt_tokens: number
  completion_tokens: number
  cost_usd: number
}
type Report = {
  tenant_id: string
  group_by: string
  data: Array<Totals & Record<string, unknown>>
  total: Totals
}

function sum(usages: Usage[]) {
  const prompt = usages.reduce((total, usage) => total + usage.prompt_tokens, 0)
  const completion = usages.reduce((total, usage) => total + usage.completion_tokens, 0)
  // The mock provider's list price: $1 / $2 per million input / output tokens.
  return { prompt, completion, cost: Math.round(prompt + completion * 2) / 1e6 }
}

async function usageOf(secret: string, query = ''): Promise<Report> {
  const response = await gateway(`/v1/usage${query}`, withKey(secret))
  expect(response.status).toBe(200)
  return response.json()
}

describe('usage metering', () => {
  it('counts exactly the usage of 200 concurrent responses, streaming and not', async () => {
    const { tenantId, keyId: firstKeyId, secret } = await tenantWithKey()
    const second = await createKey(tenantId)
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        chat(i % 4 === 0 ? second.secret : secret, {
          model: `mock/meter:tokens=${1 + (i % 17)}`,
          max_tokens: 100,
          stream: i % 2 === 0,
          content: `Question number ${i}: ${'why '.repeat(i % 9)}`,
        })
      )
    )
    expect(responses.filter((r) => r.status !== 200)).toHaveLength(0)
    const usages = await Promise.all(responses.map(reportedUsage))
    const expected = sum(usages)

    await expect
      .poll(async () => (await usageOf(secret)).total.requests, { timeout: 10_000 })
      .toBe(200)
    const byDay = await usageOf(secret)
    expect(byDay.tenant_id).toBe(tenantId)
    expect(byDay.data).toHaveLength(1)
    expect(byDay.total).toMatchObject({
      requests: 200,
      prompt_tokens: expected.prompt,
      completion_tokens: expected.completion,
      cost_usd: expected.cost,
    })

    const byKey = await usageOf(secret, '?group_by=key')
    const keyRequests = Object.fromEntries(byKey.data.map((row) => [row.key_id, row.requests]))
    expect(keyRequests).toEqual({ [second.id]: 50, [firstKeyId]: 150 })

    const byModel = await usageOf(secret, '?group_by=model')
    expect(byModel.data.every((row) => String(row.model).startsWith('mock/'))).toBe(true)
    expect(byModel.data.reduce((total, row) => total + row.completion_tokens, 0)).toBe(
      expected.completion
    )

    // The admin view of the same tenant is the same report.
    expect(await adminJson(`/admin/tenants/${tenantId}/usage?group_by=model`)).toEqual(byModel)
  })

  it('reports an empty range and validates the query', async () => {
    const { secret } = await tenantWithKey()
    const past = await usageOf(secret, '?from=2020-01-01&to=2020-01-31&group_by=day')
    expect(past).toMatchObject({
      from: '2020-01-01',
      to: '2020-01-31',
      data: [],
      total: { requests: 0, cost_usd: 0 },
    })
    const tooLong = await gateway('/v1/usage?from=2020-01-01&to=2022-01-01', withKey(secret))
    expect(tooLong.status).toBe(400)
    expect(((await tooLong.json()) as { error: { param: string } }).error.param).toBe('from')
  })
})
