import type OpenAI from 'openai'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Citation } from '../../src/retrieval/rag'
import { gatewayFetch, openAIClient, type TestTenant } from '../helpers/gateway'
import { readFrames } from '../helpers/sse'
import { tenantWithKey } from '../tenancy/fixtures'
import { api, uniqueName } from './helpers'

const DOCUMENTS = [
  {
    id: 'holidays',
    title: 'Holiday policy',
    url: 'https://example.com/holidays',
    text: 'Every employee gets thirty days of paid holiday per year. Unused holiday expires in March.',
    metadata: { team: 'people' },
  },
  {
    id: 'espresso',
    title: 'Coffee machine',
    markdown:
      '# Coffee machine\n\nThe espresso machine on floor two is descaled every Friday morning.',
    metadata: { team: 'facilities' },
  },
  {
    id: 'parking',
    title: 'Parking',
    html: '<h1>Parking</h1><p>Bicycles are parked in the basement garage behind the blue door.</p>',
    metadata: { team: 'facilities' },
  },
]

let tenant: TestTenant
let client: OpenAI
let collection: string

beforeAll(async () => {
  tenant = await tenantWithKey()
  client = openAIClient(tenant.secret)
  collection = uniqueName('handbook')
  await api(tenant.secret, 'POST', '/v1/collections', { name: collection })
  const ingested = await api(tenant.secret, 'POST', `/v1/collections/${collection}/documents`, {
    documents: DOCUMENTS,
  })
  expect(ingested.body).toMatchObject({ created: 3 })
})

const question = 'How many days of paid holiday does an employee get per year?'

/** The echo model answers with the whole prompt it received, one `role: content` per line. */
function systemPrompt(answer: string): string {
  const start = answer.indexOf('system: ')
  expect(start).toBeGreaterThanOrEqual(0)
  return answer.slice(start, answer.indexOf('\nuser: ', start))
}

describe('retrieval-augmented chat through the official client', () => {
  it('adds numbered sources to the prompt and returns citations in the body', async () => {
    const completion = await client.chat.completions.create({
      model: 'mock/m:echo',
      messages: [{ role: 'user', content: question }],
      // @ts-expect-error: the gateway's extension field
      retrieval: { collection, top_k: 1 },
    })
    const answer = completion.choices[0]?.message.content ?? ''
    const system = systemPrompt(answer)
    expect(system).toContain('using only the numbered sources')
    expect(system).toContain('[1] Holiday policy (https://example.com/holidays)')
    expect(system).toContain('thirty days of paid holiday')
    expect(system).not.toContain('espresso')
    expect(system).not.toContain('[2] ')
    const citations = (completion as unknown as { citations: Citation[] }).citations
    expect(citations).toEqual([
      {
        index: 1,
        document_id: 'holidays',
        chunk: 0,
        title: 'Holiday policy',
        url: 'https://example.com/holidays',
        score: expect.any(Number),
        // The echoed prompt contains "[1]", so the answer "cites" it.
        cited: true,
      },
    ])
  })

  it('sends the citations as a final event before [DONE] that the SDK iterates past', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock/m:echo',
      messages: [{ role: 'user', content: 'Where are bicycles parked?' }],
      stream: true,
      // @ts-expect-error: the gateway's extension field
      retrieval: { collection, top_k: 2, filter: "team = 'facilities'" },
    })
    let text = ''
    let citations: Citation[] | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      const extension = chunk as unknown as { object: string; citations?: Citation[] }
      if (extension.object === 'chat.completion.citations') citations = extension.citations
    }
    expect(systemPrompt(text)).toContain('Bicycles are parked in the basement garage')
    expect(systemPrompt(text)).not.toContain('thirty days')
    expect(citations?.map((c) => c.document_id).sort()).toEqual(['espresso', 'parking'])
    expect(citations?.[0]?.document_id).toBe('parking')
  })

  it('frames the citations as a named SSE event right before [DONE]', async () => {
    const response = await gatewayFetch('http://gateway/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'mock/m:echo',
        stream: true,
        messages: [{ role: 'user', content: 'When is the espresso machine descaled?' }],
        retrieval: { collection, top_k: 1 },
      }),
    })
    const frames = await readFrames(response.body)
    expect(frames.at(-1)?.data).toBe('[DONE]')
    const last = frames.at(-2)
    expect(last?.event).toBe('citations')
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({
      object: 'chat.completion.citations',
      choices: [],
      citations: [{ index: 1, document_id: 'espresso', chunk: 0, title: 'Coffee machine' }],
    })
  })

  it('uses the tenant default, and counts the sources as prompt tokens', async () => {
    const withDefault = await tenantWithKey({ retrieval: { collection: 'kb', top_k: 1 } })
    await api(withDefault.secret, 'POST', '/v1/collections', { name: 'kb' })
    await api(withDefault.secret, 'POST', '/v1/collections/kb/documents', { documents: DOCUMENTS })
    const ask = (apiKey: string, body: Record<string, unknown> = {}) =>
      openAIClient(apiKey).chat.completions.create({
        model: 'mock/m:echo',
        messages: [{ role: 'user', content: question }],
        ...body,
      })
    const augmented = await ask(withDefault.secret)
    expect(systemPrompt(augmented.choices[0]?.message.content ?? '')).toContain('thirty days')
    const plain = await ask(tenant.secret)
    expect(plain.choices[0]?.message.content).not.toContain('system: ')
    expect(augmented.usage?.prompt_tokens ?? 0).toBeGreaterThan(
      (plain.usage?.prompt_tokens ?? 0) + 20
    )
  })

  it('says so when nothing matches, and refuses a malformed filter with a 400', async () => {
    const none = await client.chat.completions.create({
      model: 'mock/m:echo',
      messages: [{ role: 'user', content: question }],
      // @ts-expect-error: the gateway's extension field
      retrieval: { collection, filter: "team = 'nobody'" },
    })
    expect(systemPrompt(none.choices[0]?.message.content ?? '')).toContain('No documents matched')
    expect((none as unknown as { citations: Citation[] }).citations).toEqual([])

    const bad = await api(tenant.secret, 'POST', '/v1/chat/completions', {
      model: 'mock/m:echo',
      messages: [{ role: 'user', content: question }],
      retrieval: { collection, filter: "team = 'people' AND" },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ param: 'retrieval.filter', code: 'invalid_filter' })
  })

  it('cannot name another tenant\u2019s collection', async () => {
    const other = await tenantWithKey()
    const response = await api(other.secret, 'POST', '/v1/chat/completions', {
      model: 'mock/m:echo',
      messages: [{ role: 'user', content: question }],
      retrieval: { collection },
    })
    expect(response.status).toBe(404)
    expect(response.body.error).toMatchObject({ param: 'retrieval.collection' })
  })
})
