import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'

const gateway = exports.default

describe('the app shell', () => {
  it('answers /healthz without auth, with a request id', async () => {
    const response = await gateway.fetch('http://gateway/healthz')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'ok' })
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
  })

  it('gives unknown routes a JSON 404 in the OpenAI envelope', async () => {
    const response = await gateway.fetch('http://gateway/v2/nothing-here', { method: 'POST' })
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    expect(await response.json()).toEqual({
      error: {
        message: 'Unknown route: POST /v2/nothing-here',
        type: 'not_found_error',
        param: null,
        code: 'unknown_route',
      },
    })
  })

  it('keeps a valid incoming request id and replaces an unsafe one', async () => {
    const kept = await gateway.fetch('http://gateway/healthz', {
      headers: { 'x-request-id': 'client-trace-123456' },
    })
    expect(kept.headers.get('x-request-id')).toBe('client-trace-123456')
    await kept.body?.cancel()
    const replaced = await gateway.fetch('http://gateway/healthz', {
      headers: { 'x-request-id': 'bad id\twith <html>' },
    })
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_/)
    await replaced.body?.cancel()
  })

  it('puts the request id on error responses too', async () => {
    const response = await gateway.fetch('http://gateway/nope', {
      headers: { 'x-request-id': 'trace-for-an-error' },
    })
    expect(response.headers.get('x-request-id')).toBe('trace-for-an-error')
    await response.body?.cancel()
  })
})
