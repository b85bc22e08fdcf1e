import { describe, expect, inject, it } from 'vitest'
import type { Bindings } from '../../src/env'
import type { OtlpSpan, OtlpTraces } from '../../src/observability/trace'
import { chatRequest, servedBy } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

const receiver = inject('otlpReceiverUrl')

/** The Worker with these bindings (its own isolate-wide app) and a fresh tenant. */
async function readyGatewayWith(bindings: Partial<Bindings>) {
  const gateway = servedBy({ bindings })
  const tenant = await tenantWithKey()
  /** One chat request, read and settled; its request id. */
  const chat = async (model: string, content: string) => {
    const response = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, { model, messages: [{ role: 'user', content }] })
    )
    await response.text()
    await gateway.settled()
    return response.headers.get('x-request-id')
  }
  return { gateway, tenant, chat }
}

type Received = { contentType: string; authorization?: string; body: OtlpTraces }

async function spansOf(requestId: string | null): Promise<{ spans: OtlpSpan[]; export: Received }> {
  const all = (await (await fetch(`${receiver}/received`)).json()) as Received[]
  const mine = all.filter((item) =>
    item.body.resourceSpans
      .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
      .some((span) => attribute(span, 'gateway.request_id') === requestId)
  )
  expect(mine).toHaveLength(1)
  const found = mine[0] as Received
  return {
    spans: found.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    export: found,
  }
}

function attribute(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value
  if (!value) return undefined
  if ('stringValue' in value) return value.stringValue
  if ('intValue' in value) return Number(value.intValue)
  if ('doubleValue' in value) return value.doubleValue
  return value.boolValue
}

describe('OpenTelemetry traces', () => {
  it('exports a GenAI client span with a child per stage, continuing the caller trace', async () => {
    const { gateway, tenant } = await readyGatewayWith({
      OTLP_TRACES_URL: `${receiver}/v1/traces`,
      OTLP_HEADERS: JSON.stringify({ authorization: 'Bearer collector-token' }),
    })
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const response = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(
        tenant.secret,
        { model: 'mock/m', messages: [{ role: 'user', content: 'Trace this' }] },
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }
      )
    )
    const completion = (await response.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number }
    }
    await gateway.settled()
    const { spans, export: sent } = await spansOf(response.headers.get('x-request-id'))
    expect(sent.contentType).toBe('application/json')
    expect(sent.authorization).toBe('Bearer collector-token')
    const root = spans.find((span) => span.parentSpanId === '00f067aa0ba902b7')
    expect(root).toBeDefined()
    if (!root) return
    expect(root).toMatchObject({ traceId, name: 'chat mock/m', kind: 3 })
    expect(root.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(attribute(root, 'gen_ai.operation.name')).toBe('chat')
    expect(attribute(root, 'gen_ai.request.model')).toBe('mock/m')
    expect(attribute(root, 'gen_ai.provider.name')).toBe('mock')
    expect(attribute(root, 'gen_ai.response.model')).toBe('m')
    expect(attribute(root, 'gen_ai.usage.input_tokens')).toBe(completion.usage.prompt_tokens)
    expect(attribute(root, 'gen_ai.usage.output_tokens')).toBe(completion.usage.completion_tokens)
    expect(attribute(root, 'gateway.tenant_id')).toBe(tenant.tenantId)
    const children = spans.filter((span) => span.parentSpanId === root.spanId)
    expect(children.map((span) => span.name).sort()).toEqual(
      ['admission', 'auth', 'cache', 'cache.semantic', 'retrieval', 'upstream'].sort()
    )
    expect(spans).toHaveLength(1 + children.length)
    const start = BigInt(root.startTimeUnixNano)
    const end = BigInt(root.endTimeUnixNano)
    for (const span of children) {
      expect(span.traceId).toBe(traceId)
      expect(BigInt(span.startTimeUnixNano) >= start).toBe(true)
      expect(BigInt(span.endTimeUnixNano) <= end).toBe(true)
    }
    const upstream = children.find((span) => span.name === 'upstream')
    expect(upstream?.kind).toBe(3)
    // No prompt or answer text in any attribute.
    expect(JSON.stringify(sent.body)).not.toContain('Trace this')
  })

  it('marks the span of a failed request as an error with its type, and sends nothing when off', async () => {
    const on = await readyGatewayWith({ OTLP_TRACES_URL: `${receiver}/v1/traces` })
    const { spans } = await spansOf(await on.chat('mock/m:status=400', 'Refuse this'))
    const root = spans.find((span) => span.parentSpanId === undefined)
    expect(root?.status?.code).toBe(2)
    expect(root && attribute(root, 'error.type')).toBeTruthy()
    expect(spans.find((span) => span.name === 'upstream')?.status?.code).toBe(2)

    const off = await readyGatewayWith({})
    const quiet = await off.chat('mock/m', 'x')
    const all = (await (await fetch(`${receiver}/received`)).json()) as Received[]
    expect(quiet).toMatch(/^req_/)
    expect(JSON.stringify(all)).not.toContain(quiet)
  })
})
