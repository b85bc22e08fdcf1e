import { describe, expect, it } from 'vitest'
import { openAICompatible } from '../../src/providers/openai-compatible'
import { dispatch, type PreparedTarget } from '../../src/upstream/dispatch'
import { UpstreamFailure } from '../../src/upstream/failure'

const adapter = openAICompatible({ name: 'unit' })

const target = (model: string, retries: number): PreparedTarget => ({
  provider: 'unit',
  model: `${model}-${crypto.randomUUID()}`,
  weight: 1,
  priority: 0,
  timeoutMs: 5_000,
  firstByteTimeoutMs: 5_000,
  retries,
  adapter,
  credentials: { apiKey: undefined, baseUrl: 'http://unused' },
})

describe('dispatch', () => {
  it('backs off exponentially with jitter between retries, and honours retry-after', async () => {
    const sleeps: number[] = []
    let calls = 0
    const result = await dispatch(
      [target('a', 3)],
      async () => {
        calls++
        if (calls === 1) throw new UpstreamFailure('status', '503', { status: 503 })
        if (calls === 2)
          throw new UpstreamFailure('status', '429', { status: 429, retryAfterMs: 1_500 })
        if (calls === 3) throw new UpstreamFailure('network', 'reset')
        return 'ok'
      },
      { sleep: async (ms) => void sleeps.push(ms), backoffBaseMs: 100 }
    )
    expect(result.value).toBe('ok')
    expect(result.attempts).toBe(4)
    // Full jitter: uniformly in [0, base), so a sleep of exactly the base would be a bug.
    expect(sleeps[0]).toBeLessThan(100)
    expect(sleeps[1]).toBe(1_500)
    expect(sleeps[2]).toBeLessThan(400)
  })

  it('does not retry a non-retryable status', async () => {
    let calls = 0
    await expect(
      dispatch([target('a', 3)], async () => {
        calls++
        throw new UpstreamFailure('status', '422', {
          status: 422,
          detail: { message: 'bad schema', code: 'x' },
        })
      })
    ).rejects.toMatchObject({ status: 400, message: 'bad schema' })
    expect(calls).toBe(1)
  })

  it('hides an upstream credential failure behind a 502', async () => {
    await expect(
      dispatch([target('a', 0)], async () => {
        throw new UpstreamFailure('status', '401', {
          status: 401,
          detail: { message: 'Incorrect API key sk-abc', code: null },
        })
      })
    ).rejects.toMatchObject({
      status: 502,
      code: 'upstream_auth_failed',
      message: expect.not.stringContaining('sk-abc'),
    })
  })

  it('times out at the first byte and moves to the next target without retrying the hung one', async () => {
    const slow = { ...target('slow', 3), firstByteTimeoutMs: 50 }
    const fast = target('fast', 0)
    const result = await dispatch([slow, fast], (t, signal) =>
      t === slow
        ? new Promise<string>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason))
          )
        : Promise.resolve('fast')
    )
    expect(result.value).toBe('fast')
    expect(result.attempts).toBe(2)
  })
})
