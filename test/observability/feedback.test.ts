import { describe, expect, it } from 'vitest'
import { ADMIN_HEADERS, chatRequest, servedBy } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

const gateway = servedBy()

async function answeredRequest(secret: string, model = 'mock/m'): Promise<string> {
  const response = await gateway.fetch(
    'http://gateway/v1/chat/completions',
    chatRequest(secret, { model, messages: [{ role: 'user', content: 'Rate me' }] })
  )
  expect(response.status).toBe(200)
  await response.text()
  await gateway.settled()
  return response.headers.get('x-request-id') ?? ''
}

function rate(secret: string, body: Record<string, unknown>): Promise<Response> {
  return gateway.fetch('http://gateway/v1/feedback', {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

function listed(tenantId: string, query = ''): Promise<Response> {
  return gateway.fetch(`http://gateway/admin/tenants/${tenantId}/feedback${query}`, {
    headers: ADMIN_HEADERS,
  })
}

describe('feedback', () => {
  it('rates a request, keeps it with the request record, and lists it for evaluation', async () => {
    const tenant = await tenantWithKey()
    const good = await answeredRequest(tenant.secret)
    const bad = await answeredRequest(tenant.secret)
    const first = await rate(tenant.secret, {
      request_id: good,
      score: 1,
      comment: '=HYPERLINK("x") said "thanks"',
      metadata: { app: 'web', turn: 3 },
    })
    expect(first.status).toBe(201)
    expect(await first.json()).toMatchObject({
      request_id: good,
      score: 1,
      key_id: tenant.keyId,
      request: { request_id: good, status: 200, target: 'mock/m', operation: 'chat' },
    })
    expect((await rate(tenant.secret, { request_id: bad, score: 0 })).status).toBe(201)
    // Rating again replaces the earlier rating.
    expect((await rate(tenant.secret, { request_id: bad, score: -1 })).status).toBe(201)

    const all = (await (await listed(tenant.tenantId)).json()) as {
      data: Array<{ request_id: string; score: number }>
    }
    expect(all.data.map((item) => [item.request_id, item.score])).toEqual([
      [bad, -1],
      [good, 1],
    ])
    const negative = (await (await listed(tenant.tenantId, '?max_score=0')).json()) as {
      data: Array<{ request_id: string }>
    }
    expect(negative.data.map((item) => item.request_id)).toEqual([bad])

    const jsonl = await listed(tenant.tenantId, '?format=jsonl')
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8')
    const lines = (await jsonl.text()).trimEnd().split('\n')
    expect(lines.map((line) => (JSON.parse(line) as { score: number }).score)).toEqual([-1, 1])

    const csv = await listed(tenant.tenantId, '?format=csv&min_score=1')
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const [header, row, ...rest] = (await csv.text()).split('\r\n')
    expect(header).toBe(
      'created_at,request_id,score,comment,key_id,model,status,input_tokens,output_tokens,total_ms,metadata'
    )
    expect(row).toContain(`"${good}","1","'=HYPERLINK(""x"") said ""thanks""","${tenant.keyId}"`)
    expect(row).toContain('"{""app"":""web"",""turn"":3}"')
    expect(rest).toEqual([''])
  })

  it("finds only the tenant's own requests", async () => {
    const owner = await tenantWithKey()
    const other = await tenantWithKey()
    const requestId = await answeredRequest(owner.secret)
    const stolen = await rate(other.secret, { request_id: requestId, score: 1 })
    expect(stolen.status).toBe(404)
    expect(((await stolen.json()) as { error: { code: string } }).error.code).toBe(
      'unknown_request'
    )
    const madeUp = await rate(owner.secret, { request_id: 'req_never_sent_1234', score: 1 })
    expect(madeUp.status).toBe(404)
  })

  it("checks the score against the tenant's scale, and the body's shape", async () => {
    const thumbs = await tenantWithKey()
    const stars = await tenantWithKey({ observability: { feedback_scale: 'stars' } })
    const thumbsRequest = await answeredRequest(thumbs.secret)
    const starsRequest = await answeredRequest(stars.secret)
    const cases: Array<[string, Record<string, unknown>, number, string | null]> = [
      [thumbs.secret, { request_id: thumbsRequest, score: 2 }, 400, 'score'],
      [thumbs.secret, { request_id: thumbsRequest, score: 0.5 }, 201, null],
      [stars.secret, { request_id: starsRequest, score: 0 }, 400, 'score'],
      [stars.secret, { request_id: starsRequest, score: 4.5 }, 400, 'score'],
      [stars.secret, { request_id: starsRequest, score: 5 }, 201, null],
      [stars.secret, { request_id: starsRequest, score: '5' }, 400, 'score'],
      [stars.secret, { request_id: starsRequest, score: 5, extra: 1 }, 400, 'extra'],
      [stars.secret, { score: 5 }, 400, 'request_id'],
    ]
    for (const [secret, body, status, param] of cases) {
      const response = await rate(secret, body)
      expect([body, response.status]).toEqual([body, status])
      if (param) {
        expect(((await response.json()) as { error: { param: string } }).error.param).toBe(param)
      }
    }
    const badQuery = await listed(stars.tenantId, '?format=xml')
    expect(badQuery.status).toBe(400)
    expect((await listed('tn_nobody_here', '')).status).toBe(404)
  })
})
