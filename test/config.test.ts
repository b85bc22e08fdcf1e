import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config'
import type { Bindings } from '../src/env'
import { GatewayError } from '../src/errors'
import { servedBy } from './helpers/gateway'

const valid: Bindings = {
  ADMIN_TOKEN: 'a-long-enough-admin-token',
  UPSTASH_REDIS_REST_URL: 'https://example.upstash.io',
  UPSTASH_REDIS_REST_TOKEN: 'token',
}

function problem(bindings: Bindings): string {
  try {
    loadConfig(bindings)
  } catch (error) {
    if (error instanceof GatewayError) return error.message
    throw error
  }
  throw new Error('expected the configuration to be refused')
}

describe('loadConfig', () => {
  it('accepts the minimal configuration with defaults', () => {
    const config = loadConfig({ ...valid })
    expect(config.environment).toBe('production')
    expect(config.maxBodyBytes).toBe(1_048_576)
    expect(config.vector).toBeUndefined()
    expect(config.allowLoopbackUpstreams).toBe(false)
  })

  it('names a missing setting', () => {
    const { ADMIN_TOKEN: _, ...withoutAdmin } = valid
    expect(problem(withoutAdmin)).toBe('Gateway misconfigured: ADMIN_TOKEN is required.')
  })

  it('names an invalid setting without echoing its value', () => {
    const message = problem({ ...valid, UPSTASH_REDIS_REST_URL: 'not a url secret-ish' })
    expect(message).toMatch(/^Gateway misconfigured: UPSTASH_REDIS_REST_URL /)
    expect(message).not.toContain('secret-ish')
    expect(problem({ ...valid, ADMIN_TOKEN: 'short' })).toContain(
      'ADMIN_TOKEN must be at least 16 characters'
    )
    expect(problem({ ...valid, MAX_BODY_BYTES: '1mb' })).toContain(
      'MAX_BODY_BYTES must be a whole number of bytes'
    )
    expect(problem({ ...valid, ENCRYPTION_KEY: 'abc' })).toContain(
      'ENCRYPTION_KEY must be 32 bytes, base64-encoded'
    )
  })

  it('validates JSON settings: syntax, then shape', () => {
    expect(problem({ ...valid, MODEL_CATALOG: '{nope' })).toContain(
      'MODEL_CATALOG must be valid JSON'
    )
    expect(
      problem({ ...valid, MODEL_CATALOG: '{"models":[{"name":"x","targets":[]}]}' })
    ).toContain('MODEL_CATALOG')
  })

  it('reads the webhook delivery settings, with Svix-like defaults', () => {
    expect(loadConfig({ ...valid }).webhooks).toEqual({
      retrySchedule: [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000],
      timeoutMs: 15_000,
      disableAfterFailures: 20,
      rotationGraceSeconds: 86_400,
    })
    expect(loadConfig({ ...valid, WEBHOOK_RETRY_SCHEDULE: '0,2' }).webhooks.retrySchedule).toEqual([
      0, 2,
    ])
    expect(problem({ ...valid, WEBHOOK_RETRY_SCHEDULE: '5,10' })).toContain('starting with 0')
    // More attempts than the queue's max_retries would end in the dead-letter queue untried.
    expect(problem({ ...valid, WEBHOOK_RETRY_SCHEDULE: `0${',1'.repeat(10)}` })).toContain(
      'up to 10'
    )
    expect(problem({ ...valid, WEBHOOK_RETRY_SCHEDULE: '0,90000' })).toContain(
      'at most 86400 seconds'
    )
    expect(problem({ ...valid, WEBHOOK_TIMEOUT_MS: 'soon' })).toContain('WEBHOOK_TIMEOUT_MS')
  })

  it('requires the Vector URL and token together', () => {
    expect(problem({ ...valid, UPSTASH_VECTOR_REST_URL: 'https://v.upstash.io' })).toContain(
      'UPSTASH_VECTOR_REST_URL and UPSTASH_VECTOR_REST_TOKEN must be set together'
    )
  })

  it('fails requests with the envelope, but keeps /healthz alive', async () => {
    const broken = servedBy({ bindings: { ADMIN_TOKEN: undefined } })
    const response = await broken.fetch('http://gateway/v1/models')
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({
      error: {
        message: 'Gateway misconfigured: ADMIN_TOKEN is required.',
        code: 'gateway_misconfigured',
      },
    })
    const health = await broken.fetch('http://gateway/healthz')
    expect(health.status).toBe(200)
    await health.body?.cancel()
  })
})
