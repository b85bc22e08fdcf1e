/**
 * @module
 * Monthly budgets, per tenant and per key. Each counter holds micro-USD: the month's settled spend
 * plus the reservations of requests in flight. Admission reserves a request's estimated cost in
 * one script that checks every hard cap first and increments only if all hold, so concurrent
 * requests cannot overshoot a cap beyond what their own estimates under-counted.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { luaScript, runScript } from '../upstash/scripts'
import type { WriteBatch } from '../upstash/write-batch'

/** Budget counters outlive their month long enough for late settlements. */
const COUNTER_TTL_SECONDS = 62 * 24 * 3600

const RESERVE = luaScript(`
local amount = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[2 + i])
  local spent = tonumber(redis.call('GET', key) or '0')
  if cap >= 0 and (spent >= cap or spent + amount > cap) then
    return {0, i, spent}
  end
end
local totals = {1, 0}
for i, key in ipairs(KEYS) do
  totals[2 + i] = redis.call('INCRBY', key, amount)
  redis.call('EXPIRE', key, ARGV[2])
end
return totals
`)

export type Reservation =
  | { granted: true; totals: number[] }
  | { granted: false; counterIndex: number; spent: number }

/**
 * Reserves `amount` micro-USD on every counter, or on none when a hard cap (micro-USD, `-1` for
 * none) is reached or would be exceeded. `totals` are the counters after the reservation.
 */
export async function reserveSpend(
  redis: Pick<Redis, 'eval' | 'evalsha'>,
  counters: string[],
  hardCaps: number[],
  amount: number
): Promise<Reservation> {
  const reply = await runScript<number[]>(redis, RESERVE, counters, [
    String(amount),
    String(COUNTER_TTL_SECONDS),
    ...hardCaps.map(String),
  ])
  const [granted = 0, failedIndex = 1, ...rest] = reply
  if (granted === 1) return { granted: true, totals: rest }
  return { granted: false, counterIndex: failedIndex - 1, spent: rest[0] ?? 0 }
}

/** Adds (or, negative, returns) micro-USD on every counter, with the isolate's next writes. */
export async function adjustSpend(
  writes: WriteBatch,
  counters: string[],
  amount: number
): Promise<void> {
  if (amount === 0 || counters.length === 0) return
  await writes.count(
    counters.map((key) => ({ key, amount })),
    Object.fromEntries(counters.map((key) => [key, COUNTER_TTL_SECONDS]))
  )
}

export async function readSpend(redis: Redis, counters: string[]): Promise<number[]> {
  if (counters.length === 0) return []
  const values = await redis.mget<Array<number | string | null>>(...counters)
  return values.map((value) => Number(value ?? 0))
}
