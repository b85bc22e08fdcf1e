import type OpenAI from 'openai'
import { zodTextFormat } from 'openai/helpers/zod'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { mockRequests, uniqueTag, withTenant } from '../../helpers/gateway'
import { failure, gateway, withKey } from '../../tenancy/fixtures'
import { expectNotFound } from './helpers'

const caller = withTenant()
const other = withTenant()

type Streamed = { type: string; sequence_number: number }

async function eventsOf(
  client: OpenAI,
  params: Omit<OpenAI.Responses.ResponseCreateParamsStreaming, 'stream'>
) {
  const stream = client.responses.stream(params)
  const events: Streamed[] = []
  for await (const event of stream) events.push(event)
  return { events, final: await stream.finalResponse() }
}

/** The lifecycle skeleton of a stream: repeated deltas collapsed to one. */
function skeleton(events: Streamed[]): string[] {
  return events.map((event) => event.type).filter((type, i, all) => type !== all[i - 1])
}

describe('POST /v1/responses through the official client', () => {
  it('answers with a completed Response object, output_text and usage', async () => {
    const response = await caller.client.responses.create({ model: 'mock-gpt', input: 'Say hello' })
    expect(response.id).toMatch(/^resp_/)
    expect(response.object).toBe('response')
    expect(response.status).toBe('completed')
    expect(response.output[0]?.type).toBe('message')
    expect(response.output_text.length).toBeGreaterThan(0)
    expect(response.usage?.input_tokens).toBeGreaterThan(0)
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0)
    )
  })

  it('streams the documented events in order with increasing sequence numbers', async () => {
    const { events, final } = await eventsOf(caller.client, {
      model: 'mock-gpt',
      input: 'Stream a few words',
    })
    expect(skeleton(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i))
    expect(final.status).toBe('completed')
    expect(final.output_text.length).toBeGreaterThan(0)
    expect(final.usage?.output_tokens).toBeGreaterThan(0)
    const stored = await caller.client.responses.retrieve(final.id)
    expect(stored.output_text).toBe(final.output_text)
  })

  it('streams an Anthropic target with the same event sequence', async () => {
    const openai = await eventsOf(caller.client, { model: 'mock-gpt', input: 'Hi' })
    const anthropic = await eventsOf(caller.client, {
      model: 'anthropic/claude-sonnet-4-5',
      input: 'Hi',
    })
    expect(skeleton(anthropic.events)).toEqual(skeleton(openai.events))
    expect(anthropic.final.output_text.length).toBeGreaterThan(0)
  })

  it('continues from previous_response_id at once over three turns, without old instructions', async () => {
    const tag = uniqueTag()
    const model = `mock/gpt:echo,tag=${tag}`
    const first = await caller.client.responses.create({
      model,
      input: 'My name is Ada.',
      instructions: 'Be terse.',
    })
    const second = await caller.client.responses.create({
      model,
      input: 'I live in Paris.',
      previous_response_id: first.id,
    })
    // Streamed, straight after the second: the stored history is already readable.
    const { final: third } = await eventsOf(caller.client, {
      model,
      input: 'Where do I live?',
      previous_response_id: second.id,
    })
    expect(third.previous_response_id).toBe(second.id)
    const sent = (await mockRequests(tag)).map(
      (request) =>
        (request.body as { messages: Array<{ role: string; content: unknown }> }).messages
    )
    expect(sent[0]?.[0]).toEqual({ role: 'system', content: 'Be terse.' })
    expect(sent[2]?.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ])
    expect(sent[2]?.[0]?.content).toBe('My name is Ada.')
    expect(sent[2]?.[3]?.content).toBe(second.output_text)
  })

  it('round-trips a function call', async () => {
    const tools: OpenAI.Responses.FunctionTool[] = [
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
          additionalProperties: false,
        },
        strict: true,
      },
    ]
    const first = await caller.client.responses.create({
      model: 'mock-gpt',
      input: 'Weather in Oslo?',
      tools,
    })
    const call = first.output.find((item) => item.type === 'function_call')
    if (call?.type !== 'function_call') throw new Error('expected a function call')
    expect(call.name).toBe('get_weather')
    expect(JSON.parse(call.arguments)).toHaveProperty('city')
    const second = await caller.client.responses.create({
      model: 'mock-gpt',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp":3}' }],
      tools,
    })
    expect(second.output[0]?.type).toBe('message')
    expect(second.output_text.length).toBeGreaterThan(0)
  })

  it('parses structured output with a zod schema (responses.parse)', async () => {
    const City = z.object({ name: z.string(), population: z.number().int(), coastal: z.boolean() })
    const parsed = await caller.client.responses.parse({
      model: 'mock-gpt',
      input: 'Describe a city.',
      text: { format: zodTextFormat(City, 'city') },
    })
    expect(City.parse(parsed.output_parsed)).toEqual(parsed.output_parsed)
  })

  it('streams function-call argument events', async () => {
    const { events, final } = await eventsOf(caller.client, {
      model: 'mock-gpt',
      input: 'Weather in Oslo?',
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
          strict: false,
        },
      ],
    })
    expect(skeleton(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(final.output[0]?.type).toBe('function_call')
  })

  it('ends a stream that breaks mid-way with response.failed and an error event, never response.completed', async () => {
    const response = await gateway(
      '/v1/responses',
      withKey(caller.tenant.secret, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: `mock/gpt:cut=2,tag=${uniqueTag()}`,
          input: 'Hi',
          stream: true,
        }),
      })
    )
    const text = await response.text()
    const types = [...text.matchAll(/^event: (.+)$/gm)].map((match) => match[1])
    expect(types.slice(-2)).toEqual(['response.failed', 'error'])
    expect(types).not.toContain('response.completed')
  })

  it('lists input items, and deletes a response', async () => {
    const response = await caller.client.responses.create({
      model: 'mock-gpt',
      input: [
        { role: 'user', content: 'one' },
        { role: 'user', content: [{ type: 'input_text', text: 'two' }] },
      ],
    })
    const items = await caller.client.responses.inputItems.list(response.id, { order: 'asc' })
    expect(items.data.map((item) => item.type)).toEqual(['message', 'message'])
    const deleted = await caller.client.responses.delete(response.id)
    expect(deleted).toMatchObject({ id: response.id, deleted: true })
    await expectNotFound(caller.client.responses.retrieve(response.id))
  })

  it('keeps nothing when store is false', async () => {
    const response = await caller.client.responses.create({
      model: 'mock-gpt',
      input: 'Hi',
      store: false,
    })
    await expectNotFound(caller.client.responses.retrieve(response.id))
  })

  it("never lets another tenant read, continue from or delete a tenant's response", async () => {
    const response = await caller.client.responses.create({ model: 'mock-gpt', input: 'secret' })
    await expectNotFound(other.client.responses.retrieve(response.id))
    await expectNotFound(other.client.responses.delete(response.id))
    await expectNotFound(
      other.client.responses.create({
        model: 'mock-gpt',
        input: 'continue',
        previous_response_id: response.id,
      }),
      'previous_response_id'
    )
    expect((await caller.client.responses.retrieve(response.id)).id).toBe(response.id)
  })

  it('keeps one end user from continuing another end user’s response behind the same key', async () => {
    const response = await caller.client.responses.create({
      model: 'mock-gpt',
      input: 'mine',
      safety_identifier: 'alice',
    })
    await expectNotFound(
      caller.client.responses.create({
        model: 'mock-gpt',
        input: 'continue',
        previous_response_id: response.id,
        safety_identifier: 'bob',
      })
    )
  })

  it('refuses bad input with a 400 naming the field', async () => {
    const send = (body: unknown) =>
      gateway(
        '/v1/responses',
        withKey(caller.tenant.secret, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      )
    expect(await failure(await send({ model: 'mock-gpt', input: 'x', bogus: 1 }))).toMatchObject({
      status: 400,
      param: 'bogus',
    })
    expect(
      await failure(await send({ model: 'mock-gpt', input: [{ role: 'robot', content: 'x' }] }))
    ).toMatchObject({ status: 400, param: 'input' })
    expect(await failure(await send({ model: 'mock-gpt', input: [] }))).toMatchObject({
      status: 400,
      param: 'input',
    })
    expect(
      await failure(
        await send({
          model: 'mock-gpt',
          input: 'x',
          previous_response_id: 'resp_x',
          conversation: 'conv_x',
        })
      )
    ).toMatchObject({ status: 400, param: 'previous_response_id' })
    // Parts chat completions cannot carry are refused, not sent on as something else.
    const part = (content: Record<string, unknown>) => ({
      model: 'mock-gpt',
      input: [{ role: 'user', content: [content] }],
    })
    for (const unsupported of [
      { type: 'input_image', file_id: 'file_1' },
      { type: 'input_file', file_url: 'https://example.com/a.pdf' },
    ]) {
      const refused = await failure(await send(part(unsupported)))
      expect(refused).toMatchObject({ status: 400 })
      expect(String(refused.param)).toMatch(/^input/)
    }
  })
})
