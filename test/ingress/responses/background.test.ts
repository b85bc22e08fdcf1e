import type OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { mockRequests, openAIClient, uniqueTag, withTenant } from '../../helpers/gateway'
import { failure, gateway, tenantWithKey, withKey } from '../../tenancy/fixtures'

const caller = withTenant()

type Streamed = {
  type: string
  sequence_number: number
  response?: { id: string; status: string }
}

async function settled(client: OpenAI, id: string): Promise<OpenAI.Responses.Response> {
  let response = await client.responses.retrieve(id)
  await expect
    .poll(
      async () => {
        response = await client.responses.retrieve(id)
        return response.status
      },
      { timeout: 15_000, interval: 100 }
    )
    .not.toMatch(/^(queued|in_progress)$/)
  return response
}

async function collect(stream: AsyncIterable<Streamed>, limit = Number.POSITIVE_INFINITY) {
  const events: Streamed[] = []
  for await (const event of stream) {
    events.push(event)
    if (events.length >= limit) break
  }
  return events
}

function createBody(secret: string, body: Record<string, unknown>, headers = {}) {
  return withKey(secret, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

describe('background responses through the official client', () => {
  it('answers queued at once, then runs on the queue to completed with the answer', async () => {
    const tag = uniqueTag()
    const created = await caller.client.responses.create({
      model: `mock/mock-gpt:tokens=8,tag=${tag}`,
      input: 'Say hello',
      background: true,
    })
    expect(created.status).toBe('queued')
    expect(created.background).toBe(true)
    expect(created.output).toEqual([])
    const done = await settled(caller.client, created.id)
    expect(done.status).toBe('completed')
    expect(done.background).toBe(true)
    expect(done.created_at).toBe(created.created_at)
    expect(done.output_text.length).toBeGreaterThan(0)
    expect(done.usage?.output_tokens).toBe(8)
    const upstream = await mockRequests(tag)
    expect(upstream).toHaveLength(1)
    expect(upstream[0]?.stream).toBe(true)
  })

  it('is incomplete when max_output_tokens cut the answer', async () => {
    const created = await caller.client.responses.create({
      model: 'mock/mock-gpt:tokens=50',
      input: 'Write a lot',
      max_output_tokens: 5,
      background: true,
    })
    const done = await settled(caller.client, created.id)
    expect(done.status).toBe('incomplete')
    expect(done.incomplete_details).toEqual({ reason: 'max_output_tokens' })
  })

  it('streams while it runs, and a resumed stream continues exactly after starting_after', async () => {
    const stream = await caller.client.responses.create({
      model: 'mock/mock-gpt:tokens=12,delay=30',
      input: 'Stream and resume',
      background: true,
      stream: true,
    })
    const first = await collect(stream as AsyncIterable<Streamed>, 5)
    expect(first.map((event) => event.type).slice(0, 3)).toEqual([
      'response.created',
      'response.queued',
      'response.in_progress',
    ])
    expect(first[0]?.response?.status).toBe('queued')
    const id = first[0]?.response?.id ?? ''
    const last = first.at(-1)?.sequence_number ?? -1
    const rest = await collect(
      (await caller.client.responses.retrieve(id, {
        stream: true,
        starting_after: last,
      })) as AsyncIterable<Streamed>
    )
    const joined = [...first, ...rest]
    expect(joined.map((event) => event.sequence_number)).toEqual(joined.map((_, i) => i))
    expect(joined.at(-1)?.type).toBe('response.completed')

    // The whole stream, replayed from the start once finished, is the same stream.
    const replayed = await collect(
      (await caller.client.responses.retrieve(id, { stream: true })) as AsyncIterable<Streamed>
    )
    expect(replayed).toEqual(joined)
  })

  it('cancels a running response: the upstream stream is stopped and it ends cancelled', async () => {
    const tag = uniqueTag()
    const created = await caller.client.responses.create({
      model: `mock/mock-gpt:tokens=200,delay=50,tag=${tag}`,
      input: 'Take your time',
      background: true,
    })
    await expect
      .poll(async () => (await caller.client.responses.retrieve(created.id)).status, {
        timeout: 10_000,
        interval: 50,
      })
      .toBe('in_progress')
    const cancelled = await caller.client.responses.cancel(created.id)
    expect(cancelled.status).toBe('cancelled')
    await expect
      .poll(async () => (await mockRequests(tag))[0]?.disconnected, { timeout: 10_000 })
      .toBe(true)
    expect((await mockRequests(tag))[0]?.completed).toBe(false)
    expect((await caller.client.responses.retrieve(created.id)).status).toBe('cancelled')
    // Cancelling what already ended returns it unchanged.
    expect((await caller.client.responses.cancel(created.id)).status).toBe('cancelled')
  })

  it('refuses to cancel a foreground response, as OpenAI does', async () => {
    const response = await caller.client.responses.create({ model: 'mock-gpt', input: 'Hi' })
    await expect(caller.client.responses.cancel(response.id)).rejects.toMatchObject({
      status: 400,
    })
  })
})

describe('POST /v1/responses with background: true', () => {
  it('refuses background with store: false', async () => {
    const { secret } = caller.tenant
    const response = await gateway(
      '/v1/responses',
      createBody(secret, { model: 'mock-gpt', input: 'x', background: true, store: false })
    )
    expect(await failure(response)).toMatchObject({ status: 400, param: 'store' })
  })

  it('returns the same response for a retried Idempotency-Key, 409 for another body', async () => {
    const { secret } = caller.tenant
    const tag = uniqueTag()
    const key = { 'idempotency-key': `retry-${tag}` }
    const body = { model: `mock/mock-gpt:tokens=4,tag=${tag}`, input: 'once', background: true }
    const first = await gateway('/v1/responses', createBody(secret, body, key))
    const created: { id: string } = await first.json()
    const again = await gateway('/v1/responses', createBody(secret, body, key))
    expect(((await again.json()) as { id: string }).id).toBe(created.id)
    const other = await gateway(
      '/v1/responses',
      createBody(secret, { ...body, input: 'something else' }, key)
    )
    expect(await failure(other)).toMatchObject({ status: 409, code: 'idempotency_key_reused' })
    await settled(caller.client, created.id)
    expect(await mockRequests(tag)).toHaveLength(1)
  })

  it('creates one job for concurrent creates with the same Idempotency-Key', async () => {
    const { secret } = caller.tenant
    const tag = uniqueTag()
    const key = { 'idempotency-key': `race-${tag}` }
    const body = { model: `mock/mock-gpt:tokens=4,tag=${tag}`, input: 'race', background: true }
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => gateway('/v1/responses', createBody(secret, body, key)))
    )
    const ids = new Set<string>()
    for (const answer of answers) {
      if (answer.status === 200) ids.add(((await answer.json()) as { id: string }).id)
      else expect(await failure(answer)).toMatchObject({ code: 'idempotency_key_in_use' })
    }
    expect(ids.size).toBe(1)
    await settled(caller.client, [...ids][0] ?? '')
    expect(await mockRequests(tag)).toHaveLength(1)
  })

  it('fails the job with the budget refusal for a tenant over its budget', async () => {
    const { secret } = await tenantWithKey({ budget: { monthly_hard_usd: 0.000001 } })
    const response = await gateway(
      '/v1/responses',
      createBody(secret, {
        model: 'mock/mock-gpt:tokens=10',
        input: 'Too expensive',
        max_output_tokens: 1000,
        background: true,
      })
    )
    const created: { id: string; status: string } = await response.json()
    expect(created.status).toBe('queued')
    const done = await settled(openAIClient(secret), created.id)
    expect(done.status).toBe('failed')
    expect(done.error?.code).toBe('monthly_budget_exceeded')
  })
})
