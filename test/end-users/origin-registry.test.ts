import type { Redis } from '@upstash/redis/cloudflare'
import { describe, expect, it } from 'vitest'
import { createOriginRegistry } from '../../src/end-users/origin-registry'

describe('origin registry', () => {
  it('answers from what it has while Redis is down, trying Redis once per interval', async () => {
    let reads = 0
    let down = false
    const redis = {
      hgetall: async () => {
        reads++
        if (down) throw new Error('fetch failed')
        return { t1: JSON.stringify(['https://app.example.com']) }
      },
    } as unknown as Redis
    const reports: string[] = []
    const registry = createOriginRegistry({ redis, report: (what) => reports.push(what) })
    expect(await registry.allows('https://app.example.com')).toBe(true)
    expect(reads).toBe(1)
    down = true
    // Unknown origins ask Redis again at most once per interval, not once per preflight.
    await new Promise((resolve) => setTimeout(resolve, 5_100))
    for (let i = 0; i < 5; i++) expect(await registry.allows('https://other.example')).toBe(false)
    expect(reads).toBe(2)
    expect(reports).toEqual(['cors origins'])
    expect(await registry.allows('https://app.example.com')).toBe(true)
  }, 15_000)
})
