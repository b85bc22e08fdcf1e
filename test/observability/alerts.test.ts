import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { buildDeps } from '../../src/deps'
import type { Bindings } from '../../src/env'
import { chatRequest, servedBy, settledChat } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

type Line = Record<string, unknown>
let lines: Line[] = []

beforeEach(() => {
  lines = []
  vi.spyOn(console, 'log').mockImplementation((text: unknown) => {
    if (typeof text === 'string' && text.includes('"what":"alert"')) lines.push(JSON.parse(text))
  })
})
afterEach(() => vi.restoreAllMocks())

const alertsOf = (tenantId: string) => lines.filter((line) => line.tenant_id === tenantId)
const ok = { model: 'mock/m', messages: [{ role: 'user', content: 'hello' }] }

describe('alerts', () => {
  it('says once that a soft budget was crossed, and once that a hard budget was reached', async () => {
    const soft = await tenantWithKey({ budget: { monthly_soft_usd: 0 } })
    const hard = await tenantWithKey({
      budget: { monthly_hard_usd: 0 },
      pricing: { 'mock/m': { input: 1, output: 1 } },
    })
    const gateway = servedBy()
    for (let i = 0; i < 3; i++) {
      const warned = await gateway.fetch(
        'http://gateway/v1/chat/completions',
        chatRequest(soft.secret, ok)
      )
      expect(warned.headers.get('x-gateway-budget-warning')).toContain('soft cap')
      await warned.text()
      const refused = await gateway.fetch(
        'http://gateway/v1/chat/completions',
        chatRequest(hard.secret, ok)
      )
      expect(refused.status).toBe(429)
      await refused.text()
      await gateway.settled()
    }
    expect(alertsOf(soft.tenantId)).toEqual([
      expect.objectContaining({ level: 'warn', alert: 'budget_soft', scope: 'tenant' }),
    ])
    expect(alertsOf(hard.tenantId)).toEqual([
      expect.objectContaining({ alert: 'budget_hard', scope: 'tenant' }),
    ])
    expect(String(alertsOf(hard.tenantId)[0]?.detail)).toContain('exhausted')
  })

  it('raises error-rate and latency alerts over the last 5 complete minutes, once', async () => {
    const tenant = await tenantWithKey({
      observability: { alerts: { error_rate: 0.5, latency_p95_ms: 1, min_requests: 4 } },
    })
    let now = Date.now()
    const app = createApp({ ...buildDeps(loadConfig(env as Bindings)), clock: () => now })
    const gateway = servedBy({ app })
    const send = settledChat(gateway, tenant.secret)
    await send(ok)
    for (let i = 0; i < 3; i++) await send({ model: 'mock/m' })
    // Nothing yet: the minute these went into is not complete.
    expect(alertsOf(tenant.tenantId)).toEqual([])
    now += 60_000
    await send(ok)
    await send(ok)
    const raised = alertsOf(tenant.tenantId)
    expect(raised.map((line) => line.alert).sort()).toEqual(['error_rate', 'latency'])
    expect(raised.find((line) => line.alert === 'error_rate')).toMatchObject({
      requests: 4,
      errors: 3,
      error_rate: 0.75,
      threshold: 0.5,
      window_minutes: 5,
    })
    // A fresh isolate in the same window says nothing new: Redis remembers.
    const other = servedBy({
      app: createApp({ ...buildDeps(loadConfig(env as Bindings)), clock: () => now }),
    })
    const response = await other.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, ok)
    )
    await response.text()
    await other.settled()
    expect(alertsOf(tenant.tenantId)).toHaveLength(2)
  })
})
