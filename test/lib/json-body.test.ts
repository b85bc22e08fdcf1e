import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH } from '../../src/lib/json-body'
import { gatewayFetch, withTenant } from '../helpers/gateway'
import { failure } from '../tenancy/fixtures'

const ctx = withTenant({ cache: { enabled: true } })

function deep(levels: number): string {
  return `${'{"x":'.repeat(levels)}1${'}'.repeat(levels)}`
}

function chatWithExtra(extra: string): Promise<Response> {
  const body = `{"model":"mock/m:tokens=2","messages":[{"role":"user","content":"hi"}],"extra":${extra}}`
  return gatewayFetch('http://gateway/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.tenant.secret}`, 'content-type': 'application/json' },
    body,
  })
}

describe('readJsonBody', () => {
  it('refuses a body nested 3,000 levels deep with a 400, cache on', async () => {
    expect(await failure(await chatWithExtra(deep(3000)))).toMatchObject({
      status: 400,
      code: 'json_too_deep',
    })
  })

  it('counts brackets inside strings as text, and accepts nesting up to the limit', async () => {
    const response = await chatWithExtra(
      `[${JSON.stringify('{['.repeat(500))},${deep(MAX_JSON_DEPTH - 3)}]`
    )
    expect(response.status).toBe(200)
    await response.body?.cancel()
  })
})
