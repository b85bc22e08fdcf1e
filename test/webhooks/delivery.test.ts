import { describe, expect, it } from 'vitest'
import { judge, retryAfterSeconds } from '../../src/webhooks/delivery'

const SVIX = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000]
const NOW = Date.parse('2026-12-01T12:00:00Z')
const answered = (status: number, extra: { retryAfter?: string; abort?: boolean } = {}) => ({
  status,
  retryAfter: extra.retryAfter ?? null,
  abort: extra.abort ?? false,
})

describe('the delivery verdict', () => {
  it('succeeds on any 2xx and on nothing else', () => {
    expect(judge(answered(200), 1, SVIX, NOW)).toEqual({ outcome: 'succeeded' })
    expect(judge(answered(204), 1, SVIX, NOW)).toEqual({ outcome: 'succeeded' })
    for (const status of [301, 302, 307, 400, 404, 500]) {
      expect(judge(answered(status), 1, SVIX, NOW)).toEqual({
        outcome: 'retrying',
        retrySeconds: 5,
      })
    }
  })

  it('follows the schedule, then gives up after its last attempt', () => {
    const delays = SVIX.slice(1).map((_, i) => judge({ error: 'x' }, i + 1, SVIX, NOW).retrySeconds)
    expect(delays).toEqual(SVIX.slice(1))
    expect(judge({ error: 'timed out' }, SVIX.length, SVIX, NOW)).toEqual({ outcome: 'failed' })
  })

  it('disables on 410 and stops when the receiver asks to abort', () => {
    expect(judge(answered(410), 1, SVIX, NOW)).toEqual({
      outcome: 'failed',
      disable: 'the endpoint answered 410 Gone',
    })
    expect(judge(answered(500, { abort: true }), 1, SVIX, NOW)).toEqual({ outcome: 'aborted' })
  })

  it('waits as long as a throttling receiver asks, up to 24 h, never less than the schedule', () => {
    expect(judge(answered(429, { retryAfter: '120' }), 1, SVIX, NOW).retrySeconds).toBe(120)
    expect(judge(answered(503, { retryAfter: '1' }), 1, SVIX, NOW).retrySeconds).toBe(5)
    expect(judge(answered(502, { retryAfter: '999999' }), 1, SVIX, NOW).retrySeconds).toBe(86_400)
    const date = new Date(NOW + 600_000).toUTCString()
    expect(judge(answered(504, { retryAfter: date }), 1, SVIX, NOW).retrySeconds).toBe(600)
    // A plain failure's Retry-After is not a throttle.
    expect(judge(answered(500, { retryAfter: '120' }), 1, SVIX, NOW).retrySeconds).toBe(5)
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterSeconds('30', NOW)).toBe(30)
    expect(retryAfterSeconds(' 7 ', NOW)).toBe(7)
    expect(retryAfterSeconds(new Date(NOW + 90_500).toUTCString(), NOW)).toBe(90)
    expect(retryAfterSeconds(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0)
    expect(retryAfterSeconds('soon', NOW)).toBeUndefined()
    expect(retryAfterSeconds(null, NOW)).toBeUndefined()
  })
})
