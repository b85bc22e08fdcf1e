import { describe, expect, inject, it } from 'vitest'
import { ADMIN_HEADERS, chatRequest, servedBy } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

const bridge = inject('prometheusBridgeUrl')

type QueryResult = {
  status: string
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }
}

describe('Prometheus', () => {
  it('scrapes /metrics with the admin token and returns the counts the gateway served', async () => {
    const tenant = await tenantWithKey()
    const gateway = servedBy()
    const sent = { ok: 7, failed: 3 }
    await Promise.all([
      ...Array.from({ length: sent.ok }, (_, i) =>
        gateway
          .fetch(
            'http://gateway/v1/chat/completions',
            chatRequest(tenant.secret, {
              model: 'mock/m',
              messages: [{ role: 'user', content: `Question ${i}` }],
            })
          )
          .then((r) => r.text())
      ),
      ...Array.from({ length: sent.failed }, () =>
        gateway
          .fetch('http://gateway/v1/chat/completions', chatRequest(tenant.secret, { model: 'x' }))
          .then((r) => r.text())
      ),
    ])
    await gateway.settled()

    const started = await fetch(`${bridge}/bridge/start`, {
      method: 'POST',
      body: JSON.stringify({ token: ADMIN_HEADERS.authorization.slice('Bearer '.length) }),
    })
    expect(started.status).toBe(200)
    const { prometheusUrl } = (await started.json()) as { prometheusUrl: string }

    const query = async (promql: string) => {
      const response = await fetch(
        `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`
      )
      const body = (await response.json()) as QueryResult
      expect(body.status).toBe('success')
      return body.data.result
    }
    const requests = `sum(gateway_requests_total{tenant="${tenant.tenantId}"})`
    const deadline = Date.now() + 15_000
    let relayed = 0
    let value: string | undefined
    while (Date.now() < deadline) {
      // Relay the next scrape Prometheus makes, with its own headers, to the gateway.
      const next = await fetch(`${bridge}/bridge/next`)
      if (next.status === 200) {
        const scrape = (await next.json()) as { id: string; headers: Record<string, string> }
        expect(scrape.headers['user-agent']).toMatch(/^Prometheus\//)
        const answer = await gateway.fetch('http://gateway/metrics', { headers: scrape.headers })
        expect(answer.status).toBe(200)
        await fetch(`${bridge}/bridge/answer/${scrape.id}`, {
          method: 'POST',
          headers: {
            'x-status': String(answer.status),
            'x-content-type': answer.headers.get('content-type') ?? '',
          },
          body: await answer.text(),
        })
        relayed++
      }
      value = (await query(requests))[0]?.value[1]
      if (value !== undefined) break
    }
    expect(relayed).toBeGreaterThan(0)
    expect(value).toBe(String(sent.ok + sent.failed))

    // The scrape parsed whole: the errors by type and the token histogram are there too.
    const errors = await query(`sum(gateway_errors_total{tenant="${tenant.tenantId}"})`)
    expect(errors[0]?.value[1]).toBe(String(sent.failed))
    const answered = await query(
      `sum(gen_ai_client_token_usage_count{tenant="${tenant.tenantId}",gen_ai_token_type="output"})`
    )
    expect(answered[0]?.value[1]).toBe(String(sent.ok))
    const up = await query('up{job="gateway"}')
    expect(up[0]?.value[1]).toBe('1')
  })
})
