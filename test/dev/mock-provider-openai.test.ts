/**
 * The mock provider's OpenAI surface, driven through the official `openai` SDK and raw fetch:
 * chat (plain, streamed, n, max tokens, stop, tools, echo), embeddings, models and errors.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { chatBody, mockUrl, post, readFrames } from './mock-provider-helpers'

const openai = new OpenAI({ baseURL: `${mockUrl}/v1`, apiKey: 'x', maxRetries: 0 })
const question = [{ role: 'user' as const, content: 'What does an edge gateway do?' }]

type Chunk = {
  id: string
  object: string
  model: string
  choices: Array<{
    index: number
    delta: {
      role?: string
      content?: string | null
      tool_calls?: Array<{
        index: number
        id?: string
        function: { name?: string; arguments: string }
      }>
    }
    finish_reason: string | null
  }>
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null
}

describe('mock provider: OpenAI chat completions', () => {
  it('answers deterministically with realistic usage', async () => {
    const first = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: question })
    const again = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: question })
    const other = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Something else entirely' }],
    })
    expect(first.object).toBe('chat.completion')
    expect(first.id).toMatch(/^chatcmpl-/)
    expect(first.id).not.toBe(again.id)
    expect(first.model).toBe('gpt-4o-mini')
    expect(first.choices[0]?.finish_reason).toBe('stop')
    const text = first.choices[0]?.message.content ?? ''
    expect(text.length).toBeGreaterThan(10)
    expect(again.choices[0]?.message.content).toBe(text)
    expect(other.choices[0]?.message.content).not.toBe(text)
    // "What does an edge gateway do?": 3 + 3 per message, then What/does/an/edge/gate/way/do/?
    expect(first.usage).toMatchObject({
      prompt_tokens: 14,
      total_tokens: 14 + (first.usage?.completion_tokens ?? 0),
    })
    expect(first.usage?.completion_tokens).toBeGreaterThanOrEqual(12)
  })

  it('streams a role chunk, content chunks, a finish chunk and [DONE], with usage only when asked', async () => {
    for (const includeUsage of [false, true]) {
      const started = Date.now()
      const response = await post(
        '/v1/chat/completions',
        chatBody('gpt-4o-mini:tokens=5', {
          stream: true,
          ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        })
      )
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
      const { frames, ending } = await readFrames(response, started)
      expect(ending).toBe('end')
      expect(frames.at(-1)?.data).toBe('[DONE]')
      const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.data) as Chunk)
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true)
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1)
      expect(chunks[0]?.choices[0]?.delta).toEqual({
        role: 'assistant',
        content: '',
        refusal: null,
      })
      const content = chunks.slice(1, 6).map((chunk) => chunk.choices[0]?.delta.content)
      expect(content).toHaveLength(5)
      expect(content.every((piece) => typeof piece === 'string' && piece.length > 0)).toBe(true)
      expect(chunks[6]?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' })
      if (includeUsage) {
        expect(chunks).toHaveLength(8)
        expect(chunks.slice(0, 7).every((chunk) => chunk.usage === null)).toBe(true)
        expect(chunks[7]?.choices).toEqual([])
        expect(chunks[7]?.usage).toMatchObject({ completion_tokens: 5 })
      } else {
        expect(chunks).toHaveLength(7)
        expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false)
      }
    }
  })

  it('streams through the SDK to the same text as the non-streamed answer', async () => {
    const plain = await openai.chat.completions.create({ model: 'mock-chat', messages: question })
    const stream = await openai.chat.completions.create({
      model: 'mock-chat',
      messages: question,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe(plain.choices[0]?.message.content)
    expect(usage).toEqual(plain.usage)
  })

  it('honours n, max_tokens (finish_reason length) and stop', async () => {
    const many = await openai.chat.completions.create({
      model: 'mock-chat:tokens=8',
      messages: question,
      n: 3,
    })
    expect(many.choices.map((choice) => choice.index)).toEqual([0, 1, 2])
    expect(new Set(many.choices.map((choice) => choice.message.content)).size).toBe(3)
    expect(many.usage?.completion_tokens).toBe(24)

    const short = await openai.chat.completions.create({
      model: 'mock-chat:tokens=20',
      messages: question,
      max_completion_tokens: 4,
    })
    expect(short.choices[0]?.finish_reason).toBe('length')
    expect(short.usage?.completion_tokens).toBe(4)

    const full = await openai.chat.completions.create({
      model: 'mock-chat:tokens=20',
      messages: question,
    })
    const fullText = full.choices[0]?.message.content ?? ''
    const stopWord = fullText.split(' ')[3] ?? ''
    const stopped = await openai.chat.completions.create({
      model: 'mock-chat:tokens=20',
      messages: question,
      stop: [stopWord],
    })
    expect(stopped.choices[0]?.finish_reason).toBe('stop')
    expect(stopped.choices[0]?.message.content).toBe(fullText.slice(0, fullText.indexOf(stopWord)))
  })

  it('calls the first tool with arguments built from its schema, then answers a tool result', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: {
              city: { type: 'string' },
              unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
              days: { type: 'integer' },
            },
            required: ['city'],
          },
        },
      },
      { type: 'function', function: { name: 'other', parameters: { type: 'object' } } },
    ]
    const call = await openai.chat.completions.create({
      model: 'mock-chat',
      messages: question,
      tools,
    })
    const choice = call.choices[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    const toolCall = choice?.message.tool_calls?.[0]
    expect(toolCall?.type).toBe('function')
    if (toolCall?.type !== 'function') throw new Error('expected a function call')
    expect(toolCall.id).toMatch(/^call_/)
    expect(toolCall.function.name).toBe('get_weather')
    const args = JSON.parse(toolCall.function.arguments) as Record<string, unknown>
    expect(typeof args.city).toBe('string')
    expect(['celsius', 'fahrenheit']).toContain(args.unit)
    expect(Number.isInteger(args.days)).toBe(true)

    const streamed = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'mock-chat', messages: question, tools, stream: true })
    )
    const { frames } = await readFrames(streamed, Date.now())
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.data) as Chunk)
    const first = chunks[0]?.choices[0]?.delta.tool_calls?.[0]
    expect(first).toMatchObject({
      index: 0,
      id: toolCall.id,
      function: { name: 'get_weather', arguments: '' },
    })
    const argumentText = chunks
      .map((chunk) => chunk.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '')
      .join('')
    expect(argumentText).toBe(toolCall.function.arguments)
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls')

    const answer = await openai.chat.completions.create({
      model: 'mock-chat',
      tools,
      messages: [
        ...question,
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: toolCall.id, content: '{"temperature": 21}' },
      ],
    })
    expect(answer.choices[0]?.finish_reason).toBe('stop')
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0)
  })

  it('echoes the whole prompt, one role: content line per message', async () => {
    const echoed = await openai.chat.completions.create({
      model: 'mock-chat:echo',
      messages: [
        { role: 'system', content: 'Use the context.' },
        { role: 'user', content: [{ type: 'text', text: 'Context: the sky is blue.' }] },
        { role: 'user', content: 'What colour is the sky?' },
      ],
    })
    expect(echoed.model).toBe('mock-chat')
    expect(echoed.choices[0]?.message.content).toBe(
      'system: Use the context.\nuser: Context: the sky is blue.\nuser: What colour is the sky?'
    )
  })

  it('rejects bad requests in the OpenAI error envelope', async () => {
    const cases: Array<[string, string]> = [
      ['{not json', 'parse'],
      [JSON.stringify({ messages: question }), 'model'],
      [JSON.stringify({ model: 'm' }), 'messages'],
      [JSON.stringify({ model: 'm', messages: question, n: 0 }), "'n'"],
      [chatBody('m:ttft=soon'), 'ttft'],
      [chatBody('m:speed=3'), 'unknown control'],
      [chatBody('m:fail=2'), 'tag'],
    ]
    for (const [body, mentions] of cases) {
      const response = await post('/v1/chat/completions', body)
      expect(response.status).toBe(400)
      const { error } = (await response.json()) as { error: { message: string; type: string } }
      expect(error.type).toBe('invalid_request_error')
      expect(error.message).toContain(mentions)
    }
    const unknown = await fetch(`${mockUrl}/v2/nothing`)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error' } })
  })

  it('keeps model names that merely contain a colon', async () => {
    const response = await openai.chat.completions.create({
      model: 'llama3:8b',
      messages: question,
    })
    expect(response.model).toBe('llama3:8b')
  })
})

describe('mock provider: OpenAI embeddings and models', () => {
  it('returns deterministic unit vectors, 384 dimensions unless asked', async () => {
    const result = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['the sky is blue', 'the sky is blue', 'the sky is very blue', 'tax law in 1850'],
      encoding_format: 'float',
    })
    const vectors = result.data.map((item) => item.embedding)
    expect(result.data.map((item) => item.index)).toEqual([0, 1, 2, 3])
    expect(vectors.every((vector) => vector.length === 384)).toBe(true)
    for (const vector of vectors) expect(Math.hypot(...vector)).toBeCloseTo(1, 5)
    const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0)
    const [same, again, close, far] = vectors as [number[], number[], number[], number[]]
    expect(again).toEqual(same)
    expect(cosine(same, close)).toBeGreaterThan(cosine(same, far))
    // 4 + 4 + 5 + 4 tokens: words of up to four characters are one token each.
    expect(result.usage).toEqual({ prompt_tokens: 17, total_tokens: 17 })

    const small = await openai.embeddings.create({ model: 'm', input: 'hello', dimensions: 8 })
    expect(small.data[0]?.embedding).toHaveLength(8)
  })

  it('encodes base64 as little-endian float32, as OpenAI does', async () => {
    const body = (format: string) =>
      JSON.stringify({ model: 'm', input: 'base64 check', encoding_format: format, dimensions: 16 })
    const floats = (await (await post('/v1/embeddings', body('float'))).json()) as {
      data: Array<{ embedding: number[] }>
    }
    const encoded = (await (await post('/v1/embeddings', body('base64'))).json()) as {
      data: Array<{ embedding: string }>
    }
    const bytes = Uint8Array.from(atob(encoded.data[0]?.embedding ?? ''), (c) => c.charCodeAt(0))
    const view = new DataView(bytes.buffer)
    const decoded = Array.from({ length: 16 }, (_, i) => view.getFloat32(i * 4, true))
    expect(decoded).toEqual(floats.data[0]?.embedding)
    // The SDK asks for base64 by default and decodes it; it must see the same vector.
    const viaSdk = await openai.embeddings.create({
      model: 'm',
      input: 'base64 check',
      dimensions: 16,
    })
    expect(viaSdk.data[0]?.embedding).toEqual(floats.data[0]?.embedding)
  })

  it('embeds token arrays and rejects empty input', async () => {
    const tokens = await openai.embeddings.create({
      model: 'm',
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      encoding_format: 'float',
    })
    expect(tokens.data).toHaveLength(2)
    expect(tokens.usage.prompt_tokens).toBe(5)
    const empty = await post('/v1/embeddings', JSON.stringify({ model: 'm', input: '' }))
    expect(empty.status).toBe(400)
    expect(await empty.json()).toMatchObject({ error: { param: 'input' } })
  })

  it('lists models in the OpenAI list shape', async () => {
    const models = []
    for await (const model of openai.models.list()) models.push(model)
    expect(models.length).toBeGreaterThan(0)
    expect(models[0]).toMatchObject({ object: 'model', owned_by: 'mock-provider' })
    expect(models.map((model) => model.id)).toContain('gpt-4o-mini')
  })
})

describe('mock provider: structured output', () => {
  const schema = {
    type: 'object',
    properties: {
      city: { type: 'string' },
      population: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string' } },
      kind: { type: 'string', enum: ['capital', 'town'] },
    },
    required: ['city', 'population', 'tags', 'kind'],
    additionalProperties: false,
  }

  it('answers json_schema with JSON valid against the schema, the same every time', async () => {
    const ask = () =>
      openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        response_format: { type: 'json_schema', json_schema: { name: 'city', schema } },
      })
    const first = JSON.parse((await ask()).choices[0]?.message.content ?? '')
    expect(typeof first.city).toBe('string')
    expect(Number.isInteger(first.population)).toBe(true)
    expect(Array.isArray(first.tags)).toBe(true)
    expect(['capital', 'town']).toContain(first.kind)
    expect(JSON.parse((await ask()).choices[0]?.message.content ?? '')).toEqual(first)
  })

  it('answers json_object with a JSON object, streamed too', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      response_format: { type: 'json_object' },
      stream: true,
    })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(JSON.parse(text)).toEqual({ answer: expect.any(String) })
  })
})
