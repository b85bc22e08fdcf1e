import { describe, expect, it } from 'vitest'
import { chatRequest, gatewayFetch, withTenant } from '../helpers/gateway'
import { failure } from '../tenancy/fixtures'

const ctx = withTenant({ models: ['*gpt*-mini', 'mock/*'] })

function chat(body: Record<string, unknown>, path = '/v1/chat/completions'): Promise<Response> {
  return gatewayFetch(`http://gateway${path}`, chatRequest(ctx.tenant.secret, body))
}

const messages = [{ role: 'user', content: 'hi' }]

describe('model names at the edge', () => {
  it.each(['\u0000', '\n', '\r', '\u0001', '\u001f', '\u007f', '\u00e9', '\t'])(
    'refuses a model name carrying %j with a 400 before any upstream call',
    async (char) => {
      const response = await chat({ model: `mock/a${char}b`, messages })
      expect(await failure(response)).toMatchObject({ status: 400, param: 'model' })
    }
  )

  it('refuses a model name with surrounding spaces, which no header could carry', async () => {
    for (const model of [' mock/m', 'mock/m ']) {
      expect(await failure(await chat({ model, messages }))).toMatchObject({
        status: 400,
        param: 'model',
      })
    }
  })

  it('refuses a model name longer than any real one, quickly, on chat and embeddings', async () => {
    const model = `mock/${'gpt'.repeat(33_333)}`
    const started = Date.now()
    expect(await failure(await chat({ model, messages }))).toMatchObject({
      status: 400,
      param: 'model',
    })
    expect(await failure(await chat({ model, input: 'x' }, '/v1/embeddings'))).toMatchObject({
      status: 400,
      param: 'model',
    })
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('caps the other free-text fields', async () => {
    const long = 'x'.repeat(10_000)
    expect(await failure(await chat({ model: 'mock/m', messages, user: long }))).toMatchObject({
      status: 400,
      param: 'user',
    })
    const retrieval = { collection: 'docs', filter: long }
    expect(await failure(await chat({ model: 'mock/m', messages, retrieval }))).toMatchObject({
      status: 400,
      param: 'retrieval.filter',
    })
  })

  it('still serves a printable model name', async () => {
    const response = await chat({ model: 'mock/m:tokens=3', messages })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-gateway-target')).toBe('mock/m:tokens=3')
    await response.body?.cancel()
  })
})
