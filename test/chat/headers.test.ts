import { describe, expect, it } from 'vitest'
import { answerHeaders } from '../../src/chat/headers'

describe('answer headers', () => {
  it('says who served, what the gateway added, and what the stages found', () => {
    const headers = answerHeaders({
      startedAt: performance.now(),
      servedBy: { target: 'mock/m', attempts: 2, upstreamMs: 0 },
      rateLimits: { 'x-ratelimit-limit-requests': '10' },
      degraded: ['cache', 'metering', 'cache'],
      cache: { status: 'SEMANTIC-HIT', ageSeconds: 3, similarity: 0.91234 },
      usageEstimated: true,
    })
    expect(headers).toMatchObject({
      'x-ratelimit-limit-requests': '10',
      'x-gateway-target': 'mock/m',
      'x-gateway-attempts': '2',
      'x-gateway-degraded': 'cache, metering',
      'x-cache': 'SEMANTIC-HIT',
      age: '3',
      'x-cache-similarity': '0.9123',
      'x-gateway-usage': 'estimated',
    })
    expect(headers['x-gateway-overhead-ms']).toMatch(/^\d+\.\d$/)
    expect(headers['server-timing']).toMatch(/^gateway;dur=\d+\.\d, upstream;dur=0\.0$/)
  })

  it('leaves out what does not apply', () => {
    const headers = answerHeaders({
      startedAt: performance.now(),
      servedBy: { target: 'mock/m', attempts: 1, upstreamMs: 5 },
    })
    expect(Object.keys(headers).sort()).toEqual([
      'server-timing',
      'x-gateway-attempts',
      'x-gateway-overhead-ms',
      'x-gateway-target',
    ])
  })
})
