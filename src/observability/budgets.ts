/**
 * @module
 * Budget burn, for the dashboard: each tenant's spend this UTC month against its monthly soft and
 * hard caps, from the counters admission keeps (settled spend plus reservations in flight, in
 * micro-USD), read in one MGET.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { readSpend } from '../limits/budget'
import { utcMonth } from '../metering/calendar'
import type { TenantRecord } from '../tenancy/records'
import { monthlySpend } from '../upstash/keyspace'
import type { BudgetBurn, BudgetReport } from './dashboard-types'

/** The overall view lists the tenants nearest their caps, not every tenant. */
const MAX_ROWS = 20

export async function budgetBurn(
  redis: Redis,
  tenants: TenantRecord[],
  now: number
): Promise<BudgetReport> {
  const month = utcMonth(now)
  const spent = await readSpend(
    redis,
    tenants.map((tenant) => monthlySpend(tenant.id, month))
  )
  const rows = tenants.map((tenant, index): BudgetBurn => {
    const budget = tenant.config.budget
    const spentUsd = Math.round(spent[index] ?? 0) / 1e6
    const cap = budget?.monthly_hard_usd ?? budget?.monthly_soft_usd
    return {
      tenant_id: tenant.id,
      name: tenant.name,
      spent_usd: spentUsd,
      soft_usd: budget?.monthly_soft_usd ?? null,
      hard_usd: budget?.monthly_hard_usd ?? null,
      burn: cap ? Math.round((spentUsd / cap) * 1e4) / 1e4 : null,
    }
  })
  // One tenant asked for is shown as it is; across tenants, the ones with a cap or a spend.
  const shown =
    tenants.length === 1
      ? rows
      : rows
          .filter((row) => row.burn !== null || row.spent_usd > 0)
          .sort((a, b) => (b.burn ?? -1) - (a.burn ?? -1) || b.spent_usd - a.spent_usd)
          .slice(0, MAX_ROWS)
  return { object: 'list', month, data: shown }
}
