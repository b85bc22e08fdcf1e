import { describe, expect, it } from 'vitest'
import { ADMIN_HEADERS, chatRequest, servedBy, uniqueTag } from '../helpers/gateway'
import { readFrames } from '../helpers/sse'
import { gatewayRedis, tenantWithKey } from '../tenancy/fixtures'
import { parseExposition, sum } from './exposition'

const redis = gatewayRedis()

type Sent = {
  kind: 'ok' | 'stream' | 'hit' | 'invalid' | 'upstream'
  body: Record<string, unknown>
}

describe('metrics per tenant', () => {
  it('count mixed traffic under 100 concurrent requests exactly, in Redis and in /metrics', async () => {
    const tenant = await tenantWithKey({ cache: { enabled: true } })
    const gateway = servedBy()
    const ask = (body: Record<string, unknown>) =>
      gateway.fetch('http://gateway/v1/chat/completions', chatRequest(tenant.secret, body))
    const user = (content: string) => [{ role: 'user', content }]
    const cached = { model: 'mock/m', messages: user(`Cached question ${uniqueTag()}`) }
    const warm = await ask(cached)
    const warmUsage = ((await warm.json()) as { usage: Usage }).usage
    await gateway.settled()

    const sent: Sent[] = [
      ...Array.from({ length: 30 }, () => ({
        kind: 'ok' as const,
        body: { model: 'mock/m', messages: user(`Question ${uniqueTag()}`) },
      })),
      ...Array.from({ length: 20 }, () => ({
        kind: 'stream' as const,
        body: {
          model: 'mock/m',
          messages: user(`Streamed question ${uniqueTag()}`),
          stream: true,
          stream_options: { include_usage: true },
        },
      })),
      ...Array.from({ length: 30 }, () => ({ kind: 'hit' as const, body: cached })),
      ...Array.from({ length: 10 }, () => ({
        kind: 'invalid' as const,
        body: { model: 'mock/m', messages: 'not a list' },
      })),
      ...Array.from({ length: 10 }, () => ({
        kind: 'upstream' as const,
        body: { model: 'mock/m:status=400', messages: user(`Refused ${uniqueTag()}`) },
      })),
    ]
    const answers = await Promise.all(
      sent.map(async ({ kind, body }) => {
        const response = await ask(body)
        const headers = response.headers
        if (kind === 'stream') return { kind, headers, usage: await streamedUsage(response) }
        const json = (await response.json()) as { usage?: Usage; error?: { type: string } }
        return { kind, headers, usage: json.usage, errorType: json.error?.type }
      })
    )
    // A tenant's reads of its own models are not model calls: they count nowhere below.
    const listings = await Promise.all(
      Array.from({ length: 5 }, () =>
        gateway.fetch('http://gateway/v1/models', {
          headers: { authorization: `Bearer ${tenant.secret}` },
        })
      )
    )
    expect(listings.map((listing) => listing.status)).toEqual(Array(5).fill(200))
    await gateway.settled()
    expect(answers.filter((a) => a.kind === 'hit').map((a) => a.headers.get('x-cache'))).toEqual(
      Array(30).fill('HIT')
    )
    const billed = answers.filter((a) => a.kind === 'ok' || a.kind === 'stream')
    const input =
      warmUsage.prompt_tokens + billed.reduce((n, a) => n + (a.usage?.prompt_tokens ?? 0), 0)
    const output =
      warmUsage.completion_tokens +
      billed.reduce((n, a) => n + (a.usage?.completion_tokens ?? 0), 0)
    const errorTypes = answers.flatMap((a) =>
      'errorType' in a && a.errorType ? [a.errorType] : []
    )
    expect(errorTypes).toHaveLength(20)

    // The running totals, as Prometheus reads them.
    const scrape = await gateway.fetch('http://gateway/metrics', { headers: ADMIN_HEADERS })
    expect(scrape.status).toBe(200)
    expect(scrape.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const samples = parseExposition(await scrape.text()).filter(
      (s) => s.labels.tenant === tenant.tenantId
    )
    const total = (name: string, labels: Record<string, string> = {}) => sum(samples, name, labels)
    expect(total('gateway_requests_total')).toBe(101)
    expect(total('gateway_requests_total', { provider: 'mock', model: 'm' })).toBe(81)
    expect(total('gateway_errors_total')).toBe(20)
    for (const type of new Set(errorTypes)) {
      expect(total('gateway_errors_total', { error_type: type })).toBe(
        errorTypes.filter((t) => t === type).length
      )
    }
    expect(total('gateway_cache_requests_total', { cache_result: 'hit' })).toBe(30)
    expect(total('gateway_cache_requests_total', { cache_result: 'miss' })).toBe(51)
    expect(total('gen_ai_client_token_usage_sum', { gen_ai_token_type: 'input' })).toBe(input)
    expect(total('gen_ai_client_token_usage_sum', { gen_ai_token_type: 'output' })).toBe(output)
    expect(total('gen_ai_client_token_usage_count', { gen_ai_token_type: 'input' })).toBe(51)
    expect(total('gen_ai_client_operation_duration_seconds_count')).toBe(101)
    expect(total('gen_ai_client_operation_duration_seconds_bucket', { le: '+Inf' })).toBe(101)
    expect(total('gen_ai_server_time_to_first_token_seconds_count')).toBe(81)
    expect(total('gateway_overhead_seconds_count')).toBe(81)
    // Labels are tenant, provider and model (and the series' own): never a key or a user.
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)))
    expect([...labelNames].sort()).toEqual(
      [
        'cache_result',
        'error_type',
        'gen_ai_token_type',
        'le',
        'model',
        'provider',
        'tenant',
      ].sort()
    )

    // The same counts per minute (the run may straddle one) and per hour, each with its TTL.
    const minutes = await redis.keys(`gw:t:${tenant.tenantId}:metrics:m*`)
    const hours = await redis.keys(`gw:t:${tenant.tenantId}:metrics:h*`)
    for (const keys of [minutes, hours]) {
      let requests = 0
      for (const key of keys) {
        const fields = (await redis.hgetall<Record<string, number>>(key)) ?? {}
        for (const [field, value] of Object.entries(fields)) {
          if (field.startsWith('requests|')) requests += Number(value)
        }
      }
      expect(requests).toBe(101)
    }
    const minuteTtl = await redis.ttl(minutes[0] ?? '')
    expect(minuteTtl).toBeGreaterThan(47 * 3600)
    expect(minuteTtl).toBeLessThanOrEqual(48 * 3600)
    expect(await redis.ttl(hours[0] ?? '')).toBeGreaterThan(89 * 86_400)
  })

  it('refuses /metrics without the admin token', async () => {
    const tenant = await tenantWithKey()
    const gateway = servedBy()
    const anonymous = await gateway.fetch('http://gateway/metrics')
    const withTenantKey = await gateway.fetch('http://gateway/metrics', {
      headers: { authorization: `Bearer ${tenant.secret}` },
    })
    expect([anonymous.status, withTenantKey.status]).toEqual([401, 401])
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_admin_token'
    )
  })
})

type Usage = { prompt_tokens: number; completion_tokens: number }

async function streamedUsage(response: Response): Promise<Usage | undefined> {
  const frames = await readFrames(response.body)
  for (const frame of frames.reverse()) {
    if (frame.data === '[DONE]') continue
    const chunk = JSON.parse(frame.data) as { usage?: Usage | null }
    if (chunk.usage) return chunk.usage
  }
  return undefined
}
