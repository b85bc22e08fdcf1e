/**
 * The mock provider's behaviour controls, from the model-name suffix and from x-mock-* headers:
 * timing, length, injected errors, hangs, cuts, usage suppression, and the request log that
 * records what happened (disconnects included).
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import {
  chatBody,
  loggedRequests,
  mockUrl,
  post,
  readFrames,
  uniqueTag,
  waitForLogged,
} from './mock-provider-helpers'

const openai = new OpenAI({ baseURL: `${mockUrl}/v1`, apiKey: 'x', maxRetries: 0 })

async function streamChat(model: string, headers: Record<string, string> = {}) {
  const started = Date.now()
  const response = await post(
    '/v1/chat/completions',
    chatBody(model, { stream: true, stream_options: { include_usage: true } }),
    headers
  )
  return readFrames(response, started)
}

function contentFrames(frames: Array<{ data: string; at: number }>) {
  return frames.filter(
    (frame) => frame.data.includes('"content":"') && !frame.data.includes('"content":""')
  )
}

describe('mock provider controls', () => {
  it('ttft delays the first chunk, from the suffix and from the header', async () => {
    const quick = await streamChat('m:tokens=3')
    expect((quick.frames[0]?.at ?? 0) - quick.startedAt).toBeLessThan(380)
    const slow = await streamChat('m:ttft=400,tokens=3')
    expect((slow.frames[0]?.at ?? 0) - slow.startedAt).toBeGreaterThanOrEqual(380)
    const viaHeader = await streamChat('m:tokens=3', { 'x-mock-ttft': '400' })
    expect((viaHeader.frames[0]?.at ?? 0) - viaHeader.startedAt).toBeGreaterThanOrEqual(380)
  })

  it('delay spaces the content chunks and tokens sets their number', async () => {
    const { frames } = await streamChat('m:delay=120,tokens=4')
    const content = contentFrames(frames)
    expect(content).toHaveLength(4)
    for (let i = 1; i < content.length; i++) {
      expect((content[i]?.at ?? 0) - (content[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(100)
    }
    const long = await openai.chat.completions.create({
      model: 'm:tokens=57',
      messages: [{ role: 'user', content: 'long' }],
    })
    expect(long.usage?.completion_tokens).toBe(57)
  })

  it('status answers with the error envelope; 429 carries retry-after', async () => {
    const limited = await post('/v1/chat/completions', chatBody('m:status=429,retry_after=7'))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } })
    const defaultRetry = await post('/v1/chat/completions', chatBody('m:status=429'))
    expect(defaultRetry.headers.get('retry-after')).toBe('1')
    await defaultRetry.body?.cancel()
    for (const status of [500, 503]) {
      const response = await post('/v1/chat/completions', chatBody('m'), {
        'x-mock-status': String(status),
      })
      expect(response.status).toBe(status)
      expect(await response.json()).toMatchObject({ error: { type: 'server_error' } })
    }
    const viaSdk = openai.chat.completions.create({
      model: 'm:status=503',
      messages: [{ role: 'user', content: 'x' }],
    })
    await expect(viaSdk).rejects.toBeInstanceOf(OpenAI.InternalServerError)
  })

  it('fail fails the first N requests with the same tag, then succeeds', async () => {
    const tag = uniqueTag()
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const response = await post(
        '/v1/chat/completions',
        chatBody(`m:fail=2,status=503,tag=${tag}`)
      )
      statuses.push(response.status)
      await response.body?.cancel()
    }
    expect(statuses).toEqual([503, 503, 200, 200])
    const other = await post('/v1/chat/completions', chatBody(`m:fail=1,tag=${uniqueTag()}`))
    expect(other.status).toBe(500)
    await other.body?.cancel()
    // The SDK's own retries get through once the failures are spent.
    const retrying = new OpenAI({ baseURL: `${mockUrl}/v1`, apiKey: 'x', maxRetries: 2 })
    const recovered = await retrying.chat.completions.create({
      model: `m:fail=2,retry_after=0,tag=${uniqueTag()}`,
      messages: [{ role: 'user', content: 'retry me' }],
    })
    expect(recovered.choices[0]?.finish_reason).toBe('stop')
  })

  it('hang never answers; an aborting client shows up as disconnected', async () => {
    for (const stream of [false, true]) {
      const tag = uniqueTag()
      const request = fetch(`${mockUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mock-hang': 'true' },
        body: chatBody(`m:tag=${tag}`, { stream }),
        signal: AbortSignal.timeout(300),
      })
      await expect(request).rejects.toThrow()
      const entry = await waitForLogged(tag, (logged) => logged.disconnected)
      expect(entry).toMatchObject({ disconnected: true, completed: false, status: null, stream })
    }
  })

  it('cut ends the stream after N content chunks without [DONE]', async () => {
    const tag = uniqueTag()
    const { frames, ending } = await streamChat(`m:cut=3,tokens=10,tag=${tag}`)
    expect(ending).toBe('error')
    expect(contentFrames(frames)).toHaveLength(3)
    expect(frames.some((frame) => frame.data === '[DONE]')).toBe(false)
    const entry = await waitForLogged(tag, () => true)
    expect(entry).toMatchObject({ cut: true, completed: false, disconnected: false })
  })

  it('records a client that goes away mid-stream', async () => {
    const tag = uniqueTag()
    const response = await post(
      '/v1/chat/completions',
      chatBody(`m:delay=100,tokens=50,tag=${tag}`, { stream: true })
    )
    const reader = response.body?.getReader()
    await reader?.read()
    await reader?.cancel()
    const entry = await waitForLogged(tag, (logged) => logged.disconnected)
    expect(entry).toMatchObject({ disconnected: true, completed: false, status: 200 })
  })

  it('paces non-streamed answers by delay per token, and cut drops the connection', async () => {
    const started = Date.now()
    const paced = await post('/v1/chat/completions', chatBody('m:delay=25,tokens=10'))
    expect(paced.status).toBe(200)
    await paced.body?.cancel()
    expect(Date.now() - started).toBeGreaterThanOrEqual(240)
    const tag = uniqueTag()
    await expect(post('/v1/chat/completions', chatBody(`m:cut=0,tag=${tag}`))).rejects.toThrow()
    expect(await waitForLogged(tag, () => true)).toMatchObject({ cut: true, status: null })
  })

  it('reads every control from x-mock-* headers, the suffix winning', async () => {
    const response = await post('/v1/chat/completions', chatBody('m:status=503'), {
      'x-mock-status': '429',
      'x-mock-retry-after': '9',
    })
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('9')
    await response.body?.cancel()
    const bad = await post('/v1/chat/completions', chatBody('m'), { 'x-mock-nousage': 'maybe' })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      error: { message: expect.stringContaining('x-mock-nousage') },
    })
  })

  it('nousage never sends usage, even when asked', async () => {
    const { frames } = await streamChat('m:nousage,tokens=3')
    expect(frames.at(-1)?.data).toBe('[DONE]')
    expect(frames.some((frame) => frame.data.includes('"usage"'))).toBe(false)
    const plain = await openai.chat.completions.create({
      model: 'm:nousage',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(plain.usage).toBeUndefined()
  })

  it('echo_args puts the prompt in the arguments of the tool call', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'send', parameters: { type: 'object', properties: {} } },
      },
    ]
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Mail [EMAIL_1]' },
    ]
    const plain = await openai.chat.completions.create({ model: 'm:echo_args', messages, tools })
    const call = plain.choices[0]?.message.tool_calls?.[0]
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      echo: 'system: Be brief.\nuser: Mail [EMAIL_1]',
    })
    const stream = await openai.chat.completions.create({
      model: 'm:echo_args',
      messages,
      tools,
      stream: true,
    })
    let args = ''
    for await (const chunk of stream) {
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? ''
    }
    expect(args).toBe(call?.type === 'function' ? call.function.arguments : 'no call')
  })

  it('logs every request with its tag, body and credential presence, and clears by tag', async () => {
    const tag = uniqueTag()
    await openai.chat.completions.create({
      model: `gpt-4o-mini:tag=${tag}`,
      messages: [{ role: 'user', content: 'logged' }],
    })
    const response = await post('/v1/chat/completions', chatBody('m', { stream: true }), {
      'x-mock-tag': tag,
    })
    await response.body?.cancel()
    const logged = await loggedRequests(tag)
    expect(logged).toHaveLength(2)
    expect(logged[0]).toMatchObject({
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      requestedModel: `gpt-4o-mini:tag=${tag}`,
      tag,
      stream: false,
      hasAuthorization: true,
      hasApiKey: false,
      status: 200,
      completed: true,
      body: { messages: [{ role: 'user', content: 'logged' }] },
    })
    expect(logged[0]?.headerNames).toContain('authorization')
    expect(logged[1]?.stream).toBe(true)
    const cleared = await fetch(`${mockUrl}/_mock/requests?tag=${tag}`, { method: 'DELETE' })
    expect(await cleared.json()).toEqual({ deleted: 2 })
    expect(await loggedRequests(tag)).toEqual([])
  })

  it('applies controls to embeddings too', async () => {
    const failing = await post(
      '/v1/embeddings',
      JSON.stringify({ model: 'e:status=429', input: 'x' })
    )
    expect(failing.status).toBe(429)
    await failing.body?.cancel()
    const started = Date.now()
    const slow = await post('/v1/embeddings', JSON.stringify({ model: 'e:ttft=300', input: 'x' }))
    expect(slow.status).toBe(200)
    await slow.body?.cancel()
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
  })
})
