import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { hashedUserId } from '../../src/end-users/derived-keys'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { chatRequest, servedBy, uniqueTag } from '../helpers/gateway'
import { readFrames } from '../helpers/sse'
import { gatewayRedis, tenantWithKey } from '../tenancy/fixtures'

type Line = Record<string, unknown>

/** Everything the Worker wrote to the console during a test, as text. */
let output: string[] = []

beforeEach(() => {
  output = []
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      output.push(args.map(String).join(' '))
    })
  }
})
afterEach(() => vi.restoreAllMocks())

function requestLines(): Line[] {
  return output
    .filter((text) => text.includes('"what":"request"'))
    .map((text) => JSON.parse(text) as Line)
}

function linesFor(requestId: string | null): Line[] {
  return requestLines().filter((line) => line.request_id === requestId)
}

function lineFor(requestId: string | null): Line {
  const lines = linesFor(requestId)
  expect(lines).toHaveLength(1)
  return lines[0] ?? {}
}

describe('request log', () => {
  it('writes one line per request, with ids, outcome, timings and usage, after the response', async () => {
    const tenant = await tenantWithKey()
    const gateway = servedBy()
    const model = `mock/m:tag=${uniqueTag()}`
    const response = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, {
        model,
        messages: [{ role: 'user', content: 'Name a colour' }],
        user: 'alice@example.com',
      })
    )
    expect(response.status).toBe(200)
    const completion = (await response.json()) as { usage: Record<string, number> }
    // Written from waitUntil: nothing yet when the response is in the client's hands.
    expect(linesFor(response.headers.get('x-request-id'))).toHaveLength(0)
    await gateway.settled()
    const line = lineFor(response.headers.get('x-request-id'))
    expect(line).toMatchObject({
      level: 'info',
      what: 'request',
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      tenant_id: tenant.tenantId,
      key_id: tenant.keyId,
      operation: 'chat',
      target: model,
      attempts: 1,
      input_tokens: completion.usage.prompt_tokens,
      output_tokens: completion.usage.completion_tokens,
      usage_estimated: false,
    })
    // The keyed id the upstream and usage see, not the label (nor a digest one could guess).
    expect(line.end_user).toBe(
      await hashedUserId(
        String((env as Bindings).ENCRYPTION_KEY),
        tenant.tenantId,
        'alice@example.com'
      )
    )
    for (const field of ['total_ms', 'ttft_ms', 'overhead_ms', 'upstream_ms']) {
      expect(typeof line[field]).toBe('number')
    }
    expect(Number(line.total_ms)).toBeGreaterThanOrEqual(Number(line.upstream_ms))
  })

  it('waits for a stream to end, then says how it ended and what it used', async () => {
    const tenant = await tenantWithKey()
    // One execution context awaited twice: before the client reads the stream and after.
    const ctx = createExecutionContext()
    const request = new Request(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, {
        model: 'mock/m:tokens=12',
        messages: [{ role: 'user', content: 'Stream something' }],
        stream: true,
      })
    )
    const response = await worker.fetch(request, env as Bindings, ctx)
    const id = response.headers.get('x-request-id')
    expect(response.status).toBe(200)
    await waitOnExecutionContext(ctx)
    expect(linesFor(id)).toHaveLength(0)
    await readFrames(response.body)
    await waitOnExecutionContext(ctx)
    expect(lineFor(id)).toMatchObject({
      status: 200,
      stream: true,
      stream_outcome: 'finished',
      output_tokens: 12,
    })
  })

  it('records embeddings with their operation, target and tokens', async () => {
    const tenant = await tenantWithKey()
    const gateway = servedBy()
    const response = await gateway.fetch(
      'http://gateway/v1/embeddings',
      chatRequest(tenant.secret, { model: 'mock-embed', input: ['one', 'two'] })
    )
    expect(response.status).toBe(200)
    const body = (await response.json()) as { usage: { prompt_tokens: number } }
    await gateway.settled()
    const line = lineFor(response.headers.get('x-request-id'))
    expect(line).toMatchObject({
      operation: 'embeddings',
      requested_model: 'mock-embed',
      status: 200,
      attempts: 1,
      input_tokens: body.usage.prompt_tokens,
      output_tokens: 0,
    })
    expect(String(line.target)).toMatch(/^[a-z0-9-]+\//)
  })

  it('logs failures with their error type and code, tenant or not', async () => {
    const tenant = await tenantWithKey()
    const gateway = servedBy()
    const invalid = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, { model: 'mock/m', messages: 'not a list' })
    )
    const unauthorized = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest('sk-gw-not-a-real-key-000000000000', { model: 'mock/m', messages: [] })
    )
    expect([invalid.status, unauthorized.status]).toEqual([400, 401])
    await gateway.settled()
    expect(lineFor(invalid.headers.get('x-request-id'))).toMatchObject({
      level: 'warn',
      status: 400,
      tenant_id: tenant.tenantId,
      operation: 'chat',
      error_type: 'invalid_request_error',
    })
    const denied = lineFor(unauthorized.headers.get('x-request-id'))
    expect(denied).toMatchObject({ status: 401, error_type: 'authentication_error' })
    expect(denied.tenant_id).toBeUndefined()
  })

  it('samples successful requests by tenant setting, never failures', async () => {
    const tenant = await tenantWithKey({ observability: { log_sample_rate: 0 } })
    const gateway = servedBy()
    const ok = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, { model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] })
    )
    const bad = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, { model: 'mock/m' })
    )
    await ok.text()
    await bad.text()
    await gateway.settled()
    const ids = requestLines().map((line) => line.request_id)
    expect(ids).not.toContain(ok.headers.get('x-request-id'))
    expect(ids).toContain(bad.headers.get('x-request-id'))
  })

  it('never writes API keys, provider keys, end users or prompt and answer text', async () => {
    const tenant = await tenantWithKey()
    const gateway = servedBy()
    const prompt = `The secret launch code is ${uniqueTag()}`
    const endUser = `carol-${uniqueTag()}@example.com`
    const answers: string[] = []
    // A plain answer, a stream and an upstream failure.
    for (const [model, stream] of [
      ['mock/m', false],
      ['mock/m', true],
      ['mock/m:status=500', false],
    ] as const) {
      const response = await gateway.fetch(
        'http://gateway/v1/chat/completions',
        chatRequest(tenant.secret, {
          model,
          messages: [{ role: 'user', content: prompt }],
          user: endUser,
          stream,
        })
      )
      answers.push(await response.text())
    }
    await gateway.settled()
    expect(requestLines().length).toBeGreaterThanOrEqual(3)
    const everything = output.join('\n')
    const answerWords = answers
      .flatMap((text) => [...text.matchAll(/"content":"([^"]{12,})"/g)].map((m) => m[1] ?? ''))
      .filter((text) => text.length > 0)
    expect(answerWords.length).toBeGreaterThan(0)
    for (const secret of [
      tenant.secret,
      prompt,
      'secret launch code',
      endUser,
      'test-openai-key',
      'test-admin-token',
      ...answerWords,
    ]) {
      expect(everything).not.toContain(secret)
    }
    for (const line of requestLines()) {
      expect(line).not.toHaveProperty('prompt')
      expect(line).not.toHaveProperty('answer')
    }
  })
})

describe('OBSERVABILITY=off', () => {
  it('writes no log line, no metrics and no record, and answers as usual', async () => {
    const tenant = await tenantWithKey({ observability: { log_payloads: true } })
    const gateway = servedBy({ bindings: { OBSERVABILITY: 'off' } })
    const response = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, { model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] })
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('x-gateway-overhead-ms')).not.toBeNull()
    await response.text()
    await gateway.settled()
    expect(linesFor(response.headers.get('x-request-id'))).toHaveLength(0)
    const redis = gatewayRedis()
    expect(await redis.keys(`gw:t:${tenant.tenantId}:metrics:*`)).toEqual([])
    expect(await redis.keys(`gw:t:${tenant.tenantId}:requests:*`)).toEqual([])
  })
})

describe('payload logging (observability.log_payloads)', () => {
  const email = 'dana.lee@example.com'
  const phone = '(415) 555-0132'
  const card = '4111 1111 1111 1111'
  const pii = `Email ${email}, call ${phone}, card ${card}.`

  async function answered(config: Record<string, unknown>, stream: boolean): Promise<Line> {
    const tenant = await tenantWithKey({ observability: config })
    const gateway = servedBy()
    const tag = uniqueTag()
    const response = await gateway.fetch(
      'http://gateway/v1/chat/completions',
      chatRequest(tenant.secret, {
        // The mock answers with the prompt itself: the answer carries the same PII.
        model: `mock/m:echo,tag=${tag}`,
        messages: [{ role: 'user', content: `Ticket ${tag}. ${pii}` }],
        stream,
      })
    )
    expect(response.status).toBe(200)
    const body = await response.text()
    // Streamed, the text is split across chunks: whole, the client saw the PII as sent.
    if (!stream) expect(body).toContain(email)
    await gateway.settled()
    return lineFor(response.headers.get('x-request-id'))
  }

  it('logs the prompt and the answer with emails, phones and cards replaced by markers', async () => {
    for (const stream of [false, true]) {
      const line = await answered({ log_payloads: true }, stream)
      const redacted = 'Email [REDACTED_EMAIL], call [REDACTED_PHONE], card [REDACTED_CARD].'
      expect(line.prompt).toMatch(/^user: Ticket [a-z0-9-]+\. /)
      expect(line.prompt).toContain(redacted)
      expect(line.answer).toContain(redacted)
      const text = JSON.stringify(line)
      for (const raw of [email, phone, card, '4111']) expect(text).not.toContain(raw)
    }
  })

  it('cuts each text to log_payload_max_chars, after redaction', async () => {
    const line = await answered({ log_payloads: true, log_payload_max_chars: 20 }, false)
    expect(line.prompt).toMatch(/^user: Ticket .{7}…\[truncated\]$/)
    expect(String(line.answer)).toHaveLength(20 + '…[truncated]'.length)
  })

  it('is off by default: no prompt or answer in the line', async () => {
    const line = await answered({}, true)
    expect(line).not.toHaveProperty('prompt')
    expect(line).not.toHaveProperty('answer')
    expect(JSON.stringify(output)).not.toContain('dana.lee')
  })
})
