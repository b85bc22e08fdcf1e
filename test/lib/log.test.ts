import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AppEnv } from '../../src/env'
import { logFailure } from '../../src/lib/log'
import { requestId } from '../../src/middleware/request-id'
import { gatewayRedis } from '../tenancy/fixtures'

/** What logFailure writes for `error`, from a real request context. */
async function logged(error: unknown): Promise<string> {
  const lines: string[] = []
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)))
  const app = new Hono<AppEnv>()
  app.use('*', requestId())
  app.get('/', (c) => {
    logFailure(c, 'resolve key')(error)
    return c.text('ok')
  })
  await (await app.request('/')).text()
  expect(lines).toHaveLength(1)
  return lines[0] ?? ''
}

afterEach(() => vi.restoreAllMocks())

describe('logFailure', () => {
  it('logs the operation and the Redis reply of a failed command, never its arguments', async () => {
    const redis = gatewayRedis()
    const digest = 'ab'.repeat(32)
    const key = `gw:secret:${digest}`
    await redis.set(key, JSON.stringify({ key_id: 'key_1', tenant_id: 'tn_1' }), { ex: 60 })
    const error = await redis.incr(key).then(
      () => undefined,
      (failure: unknown) => failure
    )
    const line = JSON.parse(await logged(error)) as Record<string, unknown>
    expect(line).toMatchObject({ level: 'error', what: 'resolve key', error: 'UpstashError' })
    expect(String(line.detail)).toMatch(/not an integer/)
    expect(JSON.stringify(line)).not.toContain(digest)
    expect(JSON.stringify(line)).not.toContain('tn_1')
  })

  it('logs only the class of an error whose message may quote data', async () => {
    const line = await logged(new Error('postgres://admin:hunter2@db failed'))
    expect(line).not.toContain('hunter2')
    expect(JSON.parse(line)).toMatchObject({ what: 'resolve key', error: 'Error' })
    const parse = await logged(
      (() => {
        try {
          JSON.parse('{"api_key_sealed":"v1.secret"')
        } catch (failure) {
          return failure
        }
      })()
    )
    expect(parse).not.toContain('v1.secret')
  })

  it('keeps the message of a transport failure, which says what broke', async () => {
    const line = await logged(new TypeError('Network connection lost.'))
    expect(JSON.parse(line)).toMatchObject({
      error: 'TypeError',
      detail: 'Network connection lost.',
    })
  })
})
