import { beforeAll, describe, expect, it } from 'vitest'
import { gatewayWith, type TestTenant } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'
import { api, uniqueName, vectorIds } from './helpers'

let tenant: TestTenant

beforeAll(async () => {
  tenant = await tenantWithKey()
})

const handbook = {
  id: 'handbook',
  title: 'Employee handbook',
  url: 'https://example.com/handbook',
  markdown: [
    '# Holidays',
    'Every employee gets **30 days** of paid holiday a year, booked through the [portal](https://hr) at least two weeks ahead.',
    '# Expenses',
    'Submit expenses within 60 days of purchase, with a receipt attached for anything over ten euros.',
  ].join('\n\n'),
  metadata: { team: 'people', year: 2024, tags: ['hr', 'policy'] },
}

describe('collections', () => {
  it('creates, lists, reads and deletes a collection', async () => {
    const name = uniqueName('docs')
    const created = await api(tenant.secret, 'POST', '/v1/collections', {
      name,
      description: 'Team docs',
      chunk_size: 200,
      chunk_overlap: 20,
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name, chunk_size: 200, chunk_overlap: 20, documents: 0 })

    const again = await api(tenant.secret, 'POST', '/v1/collections', { name })
    expect(again.status).toBe(409)

    const listed = await api(tenant.secret, 'GET', '/v1/collections')
    expect((listed.body.data as Array<{ name: string }>).map((c) => c.name)).toContain(name)

    const deleted = await api(tenant.secret, 'DELETE', `/v1/collections/${name}`)
    expect(deleted.body).toMatchObject({ name, deleted: true })
    expect((await api(tenant.secret, 'GET', `/v1/collections/${name}`)).status).toBe(404)
  })

  it('refuses bad names and settings with a 400 naming the field', async () => {
    const bad = await api(tenant.secret, 'POST', '/v1/collections', { name: 'Bad Name' })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ param: 'name' })
    const overlap = await api(tenant.secret, 'POST', '/v1/collections', {
      name: uniqueName('x'),
      chunk_size: 100,
      chunk_overlap: 80,
    })
    expect(overlap.status).toBe(400)
    expect(overlap.body.error).toMatchObject({ param: 'chunk_overlap' })
  })
})

describe('documents', () => {
  it('ingests, lists, reads with chunks, and deletes a document with its vectors', async () => {
    const name = uniqueName('hb')
    await api(tenant.secret, 'POST', '/v1/collections', { name, chunk_size: 50, chunk_overlap: 0 })
    const ingested = await api(tenant.secret, 'POST', `/v1/collections/${name}/documents`, handbook)
    expect(ingested.status).toBe(200)
    expect(ingested.body).toMatchObject({ created: 1, updated: 0, unchanged: 0 })
    const chunks = (ingested.body.data as Array<{ chunks: number }>)[0]?.chunks ?? 0
    expect(chunks).toBe(2)
    expect(await vectorIds(tenant.tenantId, name)).toEqual(['handbook#0', 'handbook#1'])

    const list = await api(tenant.secret, 'GET', `/v1/collections/${name}/documents`)
    expect(list.body.data).toEqual([
      expect.objectContaining({
        id: 'handbook',
        title: 'Employee handbook',
        chunks: 2,
        status: 'ready',
      }),
    ])
    const one = await api(
      tenant.secret,
      'GET',
      `/v1/collections/${name}/documents/handbook?include_chunks=true`
    )
    expect(one.body.chunk_texts).toEqual([
      {
        index: 0,
        text: 'Holidays\n\nEvery employee gets 30 days of paid holiday a year, booked through the portal at least two weeks ahead.',
      },
      {
        index: 1,
        text: 'Expenses\n\nSubmit expenses within 60 days of purchase, with a receipt attached for anything over ten euros.',
      },
    ])

    const removed = await api(tenant.secret, 'DELETE', `/v1/collections/${name}/documents/handbook`)
    expect(removed.body).toMatchObject({ id: 'handbook', deleted: true })
    expect(await vectorIds(tenant.tenantId, name)).toEqual([])
    const gone = await api(tenant.secret, 'GET', `/v1/collections/${name}/documents/handbook`)
    expect(gone.status).toBe(404)
  })
})

describe('without a Vector index', () => {
  it('answers 503 with a message that names the missing settings', async () => {
    const noVector = gatewayWith({
      UPSTASH_VECTOR_REST_URL: undefined,
      UPSTASH_VECTOR_REST_TOKEN: undefined,
    })
    const headers = { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' }
    const create = await noVector('http://gateway/v1/collections', {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: uniqueName('nv') }),
    })
    expect(create.status).toBe(503)
    const body = (await create.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('retrieval_unavailable')
    expect(body.error.message).toContain('UPSTASH_VECTOR_REST_URL')
    const chat = await noVector('http://gateway/v1/chat/completions', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: 'mock/m',
        messages: [{ role: 'user', content: 'hi' }],
        retrieval: { collection: 'any' },
      }),
    })
    expect(chat.status).toBe(503)
    await chat.body?.cancel()
  })
})
