import { describe, expect, it } from 'vitest'
import { chatRequest, servedBy, uniqueTag } from '../helpers/gateway'
import { readFrames } from '../helpers/sse'
import { admin, adminJson, failure, tenantWithKey } from '../tenancy/fixtures'

type Point = Record<string, number | string | null>
type Series = {
  tenant: string | null
  period: string
  points: Point[]
  total: Point & { errors_by_type: Record<string, number> }
  models: Array<Record<string, number | string>>
}

/** Mixed traffic for one tenant: answers, a stream, cache hits, an invalid body, upstream errors. */
async function traffic() {
  const tenant = await tenantWithKey({
    cache: { enabled: true },
    budget: { monthly_soft_usd: 50, monthly_hard_usd: 100 },
  })
  const gateway = servedBy()
  const ask = async (body: Record<string, unknown>) => {
    const response = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, body)
    )
    if (body.stream) await readFrames(response.body)
    else await response.text()
    return response
  }
  const user = (content: string) => [{ role: 'user', content }]
  const cached = { model: 'mock/m', messages: user(`Cached ${uniqueTag()}`) }
  const responses = [
    await ask(cached),
    await ask({ model: 'mock/m', messages: user(`One ${uniqueTag()}`) }),
    await ask({ model: 'mock/m:tokens=7', messages: user(`Two ${uniqueTag()}`), stream: true }),
    await ask({ model: 'mock/other', messages: user(`Three ${uniqueTag()}`) }),
  ]
  await gateway.settled()
  responses.push(await ask(cached), await ask(cached))
  const invalid = await ask({ model: 'mock/m', messages: 'not a list' })
  const upstream = await ask({ model: 'mock/m:status=400', messages: user(`No ${uniqueTag()}`) })
  await gateway.settled()
  return { tenant, invalid, upstream }
}

async function series(query: string): Promise<Series> {
  return (await adminJson(`/admin/metrics/series?${query}`)) as unknown as Series
}

describe('GET /admin/metrics/series', () => {
  it("folds a tenant's minutes into points and totals that equal what was sent", async () => {
    const { tenant } = await traffic()
    const result = await series(`tenant=${tenant.tenantId}&period=minute`)
    expect(result).toMatchObject({ tenant: tenant.tenantId, period: 'minute' })
    expect(result.points).toHaveLength(60)
    expect(result.total).toMatchObject({
      requests: 8,
      errors: 2,
      errors_by_type: { invalid_request_error: 2 },
      cache_hits: 2,
      cache_misses: 4,
      cache_hit_rate: 0.3333,
    })
    const sumOf = (field: string) => result.points.reduce((n, p) => n + Number(p[field] ?? 0), 0)
    expect(sumOf('requests')).toBe(8)
    expect(sumOf('errors')).toBe(2)
    expect(Number(result.total.output_tokens)).toBeGreaterThanOrEqual(7)
    expect(Number(result.total.cost_usd)).toBeGreaterThan(0)
    for (const field of ['latency_p50_ms', 'latency_p95_ms', 'ttft_p50_ms', 'ttft_p95_ms']) {
      expect(Number(result.total[field])).toBeGreaterThan(0)
    }
    expect(Number(result.total.latency_p95_ms)).toBeGreaterThanOrEqual(
      Number(result.total.latency_p50_ms)
    )
    // Minutes without traffic are there, empty, so a chart's x axis is evenly spaced.
    expect(result.points.filter((p) => p.requests === 0).length).toBeGreaterThanOrEqual(58)
    expect(result.points.find((p) => p.requests === 0)?.latency_p50_ms).toBeNull()
    // The mock's controls are part of its model names; a body refused before routing has none.
    expect(result.models[0]).toMatchObject({ model: 'mock/m', requests: 4, errors: 0 })
    expect(result.models).toContainEqual(
      expect.objectContaining({ model: 'mock/m:status=400', requests: 1, errors: 1 })
    )
    expect(result.models.map((m) => m.model).sort()).toEqual([
      'mock/m',
      'mock/m:status=400',
      'mock/m:tokens=7',
      'mock/other',
    ])
  })

  it('reads hours and UTC days the same way, and the sum over all tenants', async () => {
    const { tenant } = await traffic()
    const hours = await series(`tenant=${tenant.tenantId}&period=hour`)
    expect(hours.points).toHaveLength(24)
    expect(hours.total.requests).toBe(8)
    const days = await series(`tenant=${tenant.tenantId}&period=day`)
    expect(days.points).toHaveLength(30)
    expect(days.points.at(-1)?.start).toMatch(/T00:00:00\.000Z$/)
    expect(days.total.requests).toBe(8)
    const overall = await series('period=hour')
    expect(overall.tenant).toBeNull()
    expect(Number(overall.total.requests)).toBeGreaterThanOrEqual(8)
  })

  it('takes an explicit range, and refuses a reversed or too long one, or an unknown tenant', async () => {
    const to = '2026-11-30T12:00:00Z'
    const ranged = await series(`period=minute&from=2026-11-30T11:50:30Z&to=${to}`)
    expect(ranged.points).toHaveLength(11)
    expect(ranged.points[0]?.start).toBe('2026-11-30T11:50:00.000Z')
    const reversed = await failure(
      await admin(`/admin/metrics/series?from=${to}&to=2026-11-30T11:00:00Z`)
    )
    expect(reversed).toMatchObject({ status: 400, code: 'invalid_request', param: 'from' })
    const tooLong = await failure(
      await admin(`/admin/metrics/series?period=day&from=2026-01-01T00:00:00Z&to=${to}`)
    )
    expect(tooLong).toMatchObject({ status: 400, param: 'from' })
    const badPeriod = await failure(await admin('/admin/metrics/series?period=week'))
    expect(badPeriod).toMatchObject({ status: 400, param: 'period' })
    const unknown = await failure(await admin('/admin/metrics/series?tenant=tn_nobody'))
    expect(unknown).toMatchObject({ status: 404, code: 'tenant_not_found' })
  })

  it('answers only to the admin token', async () => {
    const { tenant } = await traffic()
    const gateway = servedBy()
    for (const path of ['series', 'failures', 'budgets']) {
      const response = await gateway.fetch(`http://gateway/admin/metrics/${path}`, {
        headers: { authorization: `Bearer ${tenant.secret}` },
      })
      expect(await failure(response)).toMatchObject({ status: 401, code: 'invalid_admin_token' })
    }
  })
})

describe('GET /admin/metrics/failures and /admin/metrics/budgets', () => {
  it("lists a tenant's failures newest first, without text, and across tenants", async () => {
    const { tenant, invalid, upstream } = await traffic()
    const own = await adminJson(`/admin/metrics/failures?tenant=${tenant.tenantId}`)
    const items = own.data as Array<Record<string, unknown>>
    expect(items.map((f) => f.request_id)).toEqual([
      upstream.headers.get('x-request-id'),
      invalid.headers.get('x-request-id'),
    ])
    expect(items[0]).toMatchObject({
      tenant_id: tenant.tenantId,
      status: 400,
      error_type: 'invalid_request_error',
      target: 'mock/m:status=400',
      path: '/v1/chat/completions',
    })
    expect(Object.keys(items[0] ?? {})).not.toContain('prompt')
    const all = await adminJson('/admin/metrics/failures?limit=100')
    const ids = (all.data as Array<Record<string, unknown>>).map((f) => f.request_id)
    expect(ids).toContain(invalid.headers.get('x-request-id'))
    const limited = await failure(await admin('/admin/metrics/failures?limit=0'))
    expect(limited).toMatchObject({ status: 400, param: 'limit' })
  })

  it("shows a tenant's spend this month against its caps", async () => {
    const { tenant } = await traffic()
    const report = await adminJson(`/admin/metrics/budgets?tenant=${tenant.tenantId}`)
    expect(report.month).toMatch(/^\d{4}-\d{2}$/)
    const [row] = report.data as Array<Record<string, number | string | null>>
    expect(row).toMatchObject({ tenant_id: tenant.tenantId, soft_usd: 50, hard_usd: 100 })
    expect(Number(row?.spent_usd)).toBeGreaterThan(0)
    expect(row?.burn).toBeCloseTo(Number(row?.spent_usd) / 100, 4)
    const all = await adminJson('/admin/metrics/budgets')
    expect((all.data as unknown[]).length).toBeLessThanOrEqual(20)
  })

  it("takes an erased tenant's failures out of the list across tenants", async () => {
    const { tenant, invalid } = await traffic()
    const deleted = await adminJson(`/admin/tenants/${tenant.tenantId}`, 'DELETE')
    expect(deleted.removed).toMatchObject({ recent_failures: 2 })
    const all = await adminJson('/admin/metrics/failures?limit=100')
    const ids = (all.data as Array<Record<string, unknown>>).map((f) => f.request_id)
    expect(ids).not.toContain(invalid.headers.get('x-request-id'))
  })
})
