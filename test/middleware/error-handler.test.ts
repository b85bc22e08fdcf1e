import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../src/env'
import { GatewayError } from '../../src/errors'
import { errorHandler, notFoundHandler } from '../../src/middleware/error-handler'
import { requestId } from '../../src/middleware/request-id'

function appThatThrows(error: unknown) {
  const app = new Hono<AppEnv>()
  app.use('*', requestId())
  app.get('/boom', () => {
    throw error
  })
  app.onError(errorHandler())
  app.notFound(notFoundHandler())
  return app
}

describe('errorHandler', () => {
  it('hides internal errors behind a generic 500 envelope', async () => {
    const response = await appThatThrows(
      new Error('postgres://admin:hunter2@db failed at line 7')
    ).request('/boom')
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('line 7')
    expect(JSON.parse(text)).toEqual({
      error: {
        message: 'The gateway failed to process the request.',
        type: 'server_error',
        param: null,
        code: 'internal_error',
      },
    })
    expect(response.headers.get('x-request-id')).toMatch(/^req_/)
  })

  it('renders a GatewayError with its status, type, code, param and headers', async () => {
    const error = new GatewayError(429, 'Slow down.', {
      code: 'too_many',
      param: 'model',
      headers: { 'retry-after': '3' },
    })
    const response = await appThatThrows(error).request('/boom')
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('3')
    expect(await response.json()).toEqual({
      error: {
        message: 'Slow down.',
        type: 'rate_limit_exceeded',
        param: 'model',
        code: 'too_many',
      },
    })
  })
})
