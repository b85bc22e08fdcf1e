import type { Redis } from '@upstash/redis/cloudflare'
import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../src/errors'
import { type AdmissionRequest, createLimits } from '../../src/limits/admission'
import type { TenantConfig } from '../../src/tenancy/types'
import { createWriteBatch } from '../../src/upstash/write-batch'
import { counterCommands, isCounterScript } from '../helpers/counter-script'

/**
 * Redis as admission uses it, in memory: the fixed-window script of @upstash/ratelimit (the only
 * EVALSHA on a limit key whose text the gateway never sends), the gateway's own budget and
 * concurrency scripts recognised by their text (an unknown digest is NOSCRIPT, as in Redis), and
 * the write batch's counter script. `issued` lists commands in the order they were
 * issued, so a test can see that a whole admission went out before any await.
 */
function fakeRedis() {
  const counters = new Map<string, number>()
  const slots = new Map<string, Set<string>>()
  const issued: string[] = []
  const state = { down: false }
  const answer = <T>(command: string, run: () => T): Promise<T> => {
    issued.push(command)
    return state.down ? Promise.reject(new Error('fetch failed')) : Promise.resolve(run())
  }
  const incr = (key: string, by: number) => {
    const value = (counters.get(key) ?? 0) + by
    counters.set(key, value)
    return value
  }
  const script = (text: string, keys: string[], args: string[]): unknown => {
    if (text.includes('ZREMRANGEBYSCORE')) {
      const set = slots.get(keys[0] ?? '') ?? new Set<string>()
      slots.set(keys[0] ?? '', set)
      if (set.size >= Number(args[0])) return 0
      set.add(args[3] ?? '')
      return 1
    }
    if (text.includes('spent + amount > cap')) {
      const amount = Number(args[0])
      for (const [i, key] of keys.entries()) {
        const cap = Number(args[2 + i])
        const spent = counters.get(key) ?? 0
        if (cap >= 0 && (spent >= cap || spent + amount > cap)) return [0, i + 1, spent]
      }
      return [1, 0, ...keys.map((key) => incr(key, amount))]
    }
    if (isCounterScript(text)) {
      for (const command of counterCommands(keys, args)) {
        if (command.command === 'INCRBY') incr(command.key, command.amount)
        else if (command.command !== 'EXPIRE')
          incr(`${command.key}|${command.field}`, command.amount)
      }
      return []
    }
    throw new Error(`unexpected script ${text.slice(0, 40)}`)
  }
  /** Scripts Redis has seen as EVAL, by digest, as its script cache keeps them. */
  const known = new Map<string, string>()
  const remember = async (text: string) => {
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
    )
    known.set(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''), text)
  }
  const redis = {
    eval: (text: string, keys: string[], args: string[]) => {
      void remember(text)
      return answer('EVAL', () => script(text, keys, args))
    },
    evalsha: (sha: string, keys: string[], args: Array<string | number>) => {
      const text = known.get(sha)
      if (text) return answer('EVALSHA', () => script(text, keys, args.map(String)))
      const key = keys[0] ?? ''
      if (!key.includes(':rl:')) {
        issued.push('EVALSHA')
        return Promise.reject(new Error('NOSCRIPT No matching script'))
      }
      // @upstash/ratelimit's fixed window on a limit key: INCRBY it, answer [count, limit].
      return answer('EVALSHA', () => [incr(key, Number(args[2])), Number(args[0])])
    },
    zrem: (key: string, member: string) =>
      answer('ZREM', () => (slots.get(key)?.delete(member) ? 1 : 0)),
  }
  return { redis: redis as unknown as Redis, counters, slots, issued, state }
}

function setup() {
  const fake = fakeRedis()
  const reports: string[] = []
  const report = (what: string) => void reports.push(what)
  const writes = createWriteBatch({ redis: fake.redis, report, flushAfterMs: 1 })
  const limits = createLimits({ redis: fake.redis, writes, clock: Date.now, report })
  const background: Array<Promise<unknown>> = []
  const waitUntil = (work: Promise<unknown>) => void background.push(work)
  const drained = () => Promise.all(background.splice(0))
  return { ...fake, limits, waitUntil, drained, reports }
}

function request(config: TenantConfig, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    tenant: { id: 't1', name: 't', config },
    apiKey: { id: 'k1', tenantId: 't1', name: 'k', scopes: {} },
    model: 'mock/m',
    promptTokens: 10,
    maxOutputTokens: 100,
    choices: 1,
    ...extra,
  }
}

const tenantRpm = (counters: Map<string, number>) =>
  [...counters].find(([key]) => key.includes(':rl:rpm:'))?.[1] ?? 0

describe('admission', () => {
  it('issues every check before its first await: one pipelined round trip', () => {
    const { limits, waitUntil, issued } = setup()
    const config: TenantConfig = {
      limits: {
        key_requests_per_minute: 5,
        requests_per_minute: 5,
        tokens_per_minute: 10_000,
        max_concurrent: 2,
      },
      budget: { monthly_hard_usd: 1 },
    }
    const admitting = limits.admit(request(config), waitUntil)
    // Key rpm, tenant rpm, tokens, concurrency, budget: all five, before anything is awaited.
    expect(issued).toHaveLength(5)
    return admitting
  })

  it('reserves n times the output cap, and refuses what cannot fit before the upstream', async () => {
    const { limits, waitUntil, counters } = setup()
    const config: TenantConfig = { limits: { tokens_per_minute: 300 } }
    const refused = await limits
      .admit(request(config, { choices: 16, maxOutputTokens: 200 }), waitUntil)
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(GatewayError)
    expect(refused).toMatchObject({ status: 429, code: 'tokens_per_minute_exceeded' })
    expect((refused as GatewayError).message).toContain('reserves 3210')
    const admitted = await limits.admit(
      request(config, { choices: 2, maxOutputTokens: 100 }),
      waitUntil
    )
    // The refused reservation went straight back: only this request's 10 + 2 x 100 is held.
    expect(admitted.headers['x-ratelimit-remaining-tokens']).toBe('90')
    expect([...counters.values()]).toContain(210)
  })

  it('gives back what a key-refused request took from the tenant before answering 429', async () => {
    const { limits, waitUntil, counters, slots } = setup()
    const config: TenantConfig = {
      limits: { key_requests_per_minute: 1, requests_per_minute: 10, max_concurrent: 5 },
    }
    await limits.admit(request(config), waitUntil)
    expect(tenantRpm(counters)).toBe(1)
    const refused = await limits.admit(request(config), waitUntil).catch((error: unknown) => error)
    expect(refused).toMatchObject({ status: 429, code: 'requests_per_minute_exceeded' })
    // Already returned when the refusal is known: the tenant's count and slots are the first's.
    expect(tenantRpm(counters)).toBe(1)
    expect([...slots.values()].reduce((sum, set) => sum + set.size, 0)).toBe(1)
  })

  it('refuses a closed tenant when Redis is down, and serves an open one degraded', async () => {
    const { limits, waitUntil, state } = setup()
    state.down = true
    const limited = { limits: { requests_per_minute: 10 } }
    await expect(
      limits.admit(request({ ...limited, fail_mode: 'closed' }), waitUntil)
    ).rejects.toMatchObject({
      status: 503,
      code: 'limits_unavailable',
      headers: { 'retry-after': '1' },
    })
    const open = await limits.admit(request({ ...limited, fail_mode: 'open' }), waitUntil)
    expect(open.degraded).toEqual(['limits-unavailable'])
  })

  it('settles with what was used: refunds tokens, frees the slot, charges the real cost', async () => {
    const { limits, waitUntil, drained, counters, slots } = setup()
    const config: TenantConfig = {
      limits: { tokens_per_minute: 10_000, max_concurrent: 1 },
      budget: { monthly_hard_usd: 1 },
    }
    const admitted = await limits.admit(request(config), waitUntil)
    const tpm = () => [...counters].find(([key]) => key.includes(':rl:tpm:'))?.[1]
    const spend = () =>
      [...counters].find(([key]) => key.endsWith(new Date().toISOString().slice(0, 7)))?.[1]
    expect(tpm()).toBe(110)
    const reserved = spend()
    expect(reserved).toBeGreaterThan(0)
    await admitted.settle({ tokens: 30, costMicroUsd: 7 })
    await drained()
    expect(tpm()).toBe(30)
    expect(spend()).toBe(7)
    expect([...slots.values()].every((set) => set.size === 0)).toBe(true)
  })

  it('serves a held answer with no round trip, and keeps refusing a key seen refused', async () => {
    const { limits, waitUntil, drained, issued } = setup()
    const config: TenantConfig = { limits: { key_requests_per_minute: 1 } }
    limits.admitHeld(request(config), waitUntil)
    // Nothing goes out while the answer is served; the count joins the next batch of writes.
    expect(issued).toEqual([])
    await drained()
    expect(issued).toEqual(['EVALSHA'])
    limits.admitHeld(request(config), waitUntil)
    await drained()
    expect(() => limits.admitHeld(request(config), waitUntil)).toThrow(GatewayError)
  })
})
