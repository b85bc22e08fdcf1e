import { describe, expect, it } from 'vitest'
import type { Target } from '../../src/routing/catalog-schema'
import { isOpen, recordFailure, recordSuccess } from '../../src/routing/circuit-breaker'
import { orderTargets, targetKey } from '../../src/routing/order-targets'

const target = (model: string, weight = 1, priority = 0): Target => ({
  provider: 'p',
  model,
  weight,
  priority,
  timeoutMs: 1000,
  firstByteTimeoutMs: 1000,
  retries: 0,
})

/** A deterministic random source cycling through the given values. */
const sequence = (...values: number[]) => {
  let i = 0
  return () => values[i++ % values.length] ?? 0
}

describe('orderTargets', () => {
  it('orders by priority, fallbacks last', () => {
    const ordered = orderTargets([target('backup', 1, 1), target('main', 1, 0)], sequence(0.5))
    expect(ordered.map((t) => t.model)).toEqual(['main', 'backup'])
  })

  it('shares traffic among equal priorities by weight', () => {
    const targets = [target('heavy', 3), target('light', 1)]
    const firsts = { heavy: 0, light: 0 }
    for (let i = 0; i < 1000; i++) {
      const first = orderTargets(targets, sequence(i / 1000))[0]?.model as 'heavy' | 'light'
      firsts[first]++
    }
    expect(firsts.heavy).toBe(750)
    expect(firsts.light).toBe(250)
  })

  it('moves targets with an open breaker to the end, without dropping them', () => {
    const sick = target(`sick-${crypto.randomUUID()}`)
    const well = target(`well-${crypto.randomUUID()}`)
    for (let i = 0; i < 5; i++) recordFailure(targetKey(sick))
    expect(isOpen(targetKey(sick))).toBe(true)
    expect(orderTargets([sick, well], sequence(0)).map((t) => t.model)).toEqual([
      well.model,
      sick.model,
    ])
    recordSuccess(targetKey(sick))
    expect(isOpen(targetKey(sick))).toBe(false)
  })
})

describe('circuit breaker', () => {
  it('opens after five consecutive failures and half-opens after the cool-down', () => {
    const key = `p/${crypto.randomUUID()}`
    const now = 1_000_000
    for (let i = 0; i < 4; i++) recordFailure(key, now)
    expect(isOpen(key, now)).toBe(false)
    recordFailure(key, now)
    expect(isOpen(key, now)).toBe(true)
    expect(isOpen(key, now + 29_999)).toBe(true)
    expect(isOpen(key, now + 30_001)).toBe(false)
  })
})
