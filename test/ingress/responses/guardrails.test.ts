/**
 * Guardrails on POST /v1/responses: the same checks as chat completions, read and answered in
 * the Responses dialect, through the Worker and the official client.
 */
import { APIError, BadRequestError } from 'openai'
import { describe, expect, it } from 'vitest'
import {
  chatRequest,
  gatewayFetch,
  mockRequests,
  uniqueTag,
  withTenant,
} from '../../helpers/gateway'
import { type Frame, readFrames } from '../../helpers/sse'

const EMAIL = 'jane.doe@example.com'
const FILLER = 'This is a long enough opening sentence to leave the window before anything happens'

const caller = withTenant({
  guardrails: {
    checks: [
      { name: 'deny', type: 'deny', terms: ['project falcon'], action: 'block' },
      { name: 'pii', type: 'pii', action: 'redact' },
      { name: 'leak', type: 'deny', terms: ['codeword'], side: 'output', window_chars: 32 },
    ],
  },
})
const monitored = withTenant({
  guardrails: {
    checks: [
      { name: 'pii-out', type: 'pii', side: 'output', action: 'monitor', stream_mode: 'monitor' },
    ],
  },
})

function post(secret: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return gatewayFetch('http://gateway/v1/responses', chatRequest(secret, body, headers))
}

type Event = { type: string; delta?: string; response?: Record<string, unknown> }

const events = (frames: Frame[]): Event[] => frames.map((frame) => JSON.parse(frame.data))

describe('input guardrails on the Responses API', () => {
  it('refuses a denied term with a 400 guardrail_blocked naming the check', async () => {
    const error = await caller.client.responses
      .create({ model: 'mock/gpt', input: 'Tell me about Project Falcon' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error instanceof BadRequestError && error.code).toBe('guardrail_blocked')
    expect(error instanceof BadRequestError && error.type).toBe('invalid_request_error')
    expect(error instanceof BadRequestError && error.param).toBe('input')
    expect(error instanceof BadRequestError && error.message).toContain('guardrail deny')
    expect(error instanceof BadRequestError && error.headers.get('x-gateway-guardrails')).toContain(
      'deny;side=input;verdict=blocked;count=1'
    )
  })

  it('sends placeholders upstream and restores them in the Response object', async () => {
    const tag = uniqueTag()
    const { data, response } = await caller.client.responses
      .create({ model: `mock/gpt:echo,tag=${tag}`, input: `Mail ${EMAIL} or ${EMAIL}` })
      .withResponse()
    expect(data.output_text).toBe(`user: Mail ${EMAIL} or ${EMAIL}`)
    const [upstream] = await mockRequests(tag)
    expect(JSON.stringify(upstream?.body)).not.toContain(EMAIL)
    expect(JSON.stringify(upstream?.body)).toContain('Mail [EMAIL_1] or [EMAIL_1]')
    expect(response.headers.get('x-gateway-guardrails')).toBe(
      'deny;side=input;verdict=pass, pii;side=input;verdict=redacted;count=2, leak;side=output;verdict=pass'
    )
    const verdicts = (data as unknown as { x_gateway: { guardrails: { verdict: string }[] } })
      .x_gateway.guardrails
    expect(verdicts.map((verdict) => verdict.verdict)).toEqual(['pass', 'redacted', 'pass'])
  })

  it('restores them in the streamed deltas, frame by frame, and in response.completed', async () => {
    const response = await post(caller.tenant.secret, {
      model: 'mock/gpt:echo',
      input: `Reach ${EMAIL}, (415) 555-1234.`,
      stream: true,
    })
    expect(response.headers.get('x-gateway-guardrails')).toContain(
      'pii;side=input;verdict=redacted;count=2, leak;side=output;verdict=pending'
    )
    const streamed = events(await readFrames(response.body))
    const deltas = streamed.filter((event) => event.type === 'response.output_text.delta')
    const expected = `user: Reach ${EMAIL}, (415) 555-1234.`
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.map((event) => event.delta).join('')).toBe(expected)
    expect(deltas.some((event) => event.delta?.includes('['))).toBe(false)
    const last = streamed.at(-1)
    expect(last?.type).toBe('response.completed')
    expect(last?.response?.output_text).toBe(expected)
  })
})

describe('output guardrails on the Responses API', () => {
  it('ends a stream that turns to a denied term with response.failed and an error event the SDK raises', async () => {
    const stream = caller.client.responses.stream({
      model: 'mock/gpt:echo',
      input: `${FILLER} and then the codeword appears.`,
    })
    let text = ''
    let id: string | undefined
    const error = await (async () => {
      try {
        for await (const event of stream) {
          if (event.type === 'response.created') id = event.response.id
          if (event.type === 'response.output_text.delta') text += event.delta
        }
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(APIError)
    expect(error instanceof APIError && error.code).toBe('guardrail_blocked')
    expect(error instanceof APIError && error.message).toContain('leak')
    expect(text.length).toBeGreaterThan(0)
    expect(text).not.toContain('codeword')
    const stored = await caller.client.responses.retrieve(id ?? 'none')
    expect(stored.status).toBe('failed')
    expect(stored.error?.code).toBe('guardrail_blocked')
  })

  it('ends the raw event stream the same way, never with response.completed', async () => {
    const stream = await caller.client.responses.create({
      model: 'mock/gpt:echo',
      input: 'codeword',
      stream: true,
    })
    const seen: string[] = []
    const error = await (async () => {
      try {
        for await (const event of stream) seen.push(event.type)
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error instanceof APIError && error.code).toBe('guardrail_blocked')
    expect(seen.at(-1)).toBe('response.failed')
    expect(seen).not.toContain('response.completed')
  })

  it('monitor mode reports verdicts on the answer and, when asked, on the completed stream', async () => {
    const input = `Write to ${EMAIL}`
    const whole = await monitored.client.responses.create({ model: 'mock/gpt:echo', input })
    expect(whole.output_text).toBe(`user: ${input}`)
    expect(whole).toMatchObject({
      x_gateway: { guardrails: [{ check: 'pii-out', verdict: 'flagged', count: 1 }] },
    })
    const response = await post(
      monitored.tenant.secret,
      { model: 'mock/gpt:echo', input, stream: true },
      { 'x-gateway-guardrails-report': '1' }
    )
    expect(response.headers.get('x-gateway-guardrails')).toBe('pii-out;side=output;verdict=pending')
    const streamed = events(await readFrames(response.body))
    const completed = streamed.at(-1)
    expect(completed?.type).toBe('response.completed')
    expect(completed?.response?.output_text).toBe(`user: ${input}`)
    expect(completed?.response?.x_gateway).toEqual({
      guardrails: [{ check: 'pii-out', type: 'pii', side: 'output', verdict: 'flagged', count: 1 }],
    })
  })
})

describe('tool calls on the Responses API', () => {
  const tools = [
    {
      type: 'function' as const,
      name: 'send',
      parameters: { type: 'object', properties: {} },
      strict: false,
    },
  ]

  it('restores placeholders in function_call arguments, whole and streamed', async () => {
    const tag = uniqueTag()
    const params = { model: `mock/gpt:echo_args,tag=${tag}`, input: `Mail ${EMAIL}`, tools }
    const whole = await caller.client.responses.create(params)
    const call = whole.output.find((item) => item.type === 'function_call')
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({
      echo: `user: Mail ${EMAIL}`,
    })
    const stream = caller.client.responses.stream(params)
    let args = ''
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') args += event.delta
    }
    expect(JSON.parse(args)).toEqual({ echo: `user: Mail ${EMAIL}` })
    const upstream = await mockRequests(tag)
    expect(upstream).toHaveLength(2)
    expect(JSON.stringify(upstream.map((request) => request.body))).not.toContain(EMAIL)
  })
})
