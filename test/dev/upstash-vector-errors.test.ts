import { describe, expect, it } from 'vitest'
import { freshNamespace, testIndex, testIndexUrl } from './upstash-vector-helpers'

const { url, token, readonlyToken } = testIndexUrl('test-cosine')

/** Hand-built requests for what the SDK never sends; every body is consumed. */
async function call(path: string, request: string, auth = token) {
  const response = await fetch(`${url}/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
    body: request,
  })
  const body: { result?: unknown; error?: string; status?: number } = await response.json()
  return { status: response.status, body }
}

async function stillServes(): Promise<void> {
  expect(await call('info', '[]')).toMatchObject({
    status: 200,
    body: { result: { dimension: 3 } },
  })
}

describe('Vector stand-in requests the SDK types do not allow', () => {
  it('stores data sent next to a vector on /upsert without embedding it', async () => {
    const namespace = freshNamespace('raw-data')
    const upsert = JSON.stringify([{ id: 'd', vector: [0, 1, 0], data: 'kept as text' }])
    expect(await call(`upsert/${namespace}`, upsert)).toEqual({
      status: 200,
      body: { result: 'Success' },
    })
    const fetched = await call(
      `fetch/${namespace}`,
      JSON.stringify({ ids: ['d'], includeData: true })
    )
    expect(fetched.body).toEqual({ result: [{ id: 'd', data: 'kept as text' }] })
  })
})

describe('Vector stand-in error handling', () => {
  it('answers malformed JSON with 400 and a JSON error', async () => {
    const { status, body } = await call('query', '{"vector": [1, 0,')
    expect(status).toBe(400)
    expect(body).toEqual({ error: expect.stringMatching(/^Invalid JSON body/), status: 400 })
    await stillServes()
  })

  it('answers a wrong or missing token with 401', async () => {
    expect(await call('info', '[]', 'not-the-token')).toEqual({
      status: 401,
      body: { error: 'Unauthorized: Invalid auth token', status: 401 },
    })
    const response = await fetch(`${url}/info`, { method: 'POST', body: '[]' })
    expect(response.status).toBe(401)
    await response.body?.cancel()
    await expect(testIndex('test-euclidean').info()).resolves.toMatchObject({ dimension: 2 })
    await stillServes()
  })

  it('refuses a wrong vector dimension with 422 and says what it expected', async () => {
    const { status, body } = await call('upsert', JSON.stringify({ id: 'x', vector: [1, 2] }))
    expect(status).toBe(422)
    expect(body).toEqual({ error: 'Invalid vector dimension: 2, expected: 3', status: 422 })
    await expect(testIndex('test-cosine').query({ vector: [1, 2, 3, 4], topK: 1 })).rejects.toThrow(
      'Invalid vector dimension: 4, expected: 3'
    )
    await stillServes()
  })

  it('refuses a malformed filter with 400 naming the position', async () => {
    const { status, body } = await call(
      'query',
      JSON.stringify({ vector: [1, 0, 0], filter: 'a = (' })
    )
    expect(status).toBe(400)
    expect(body.error).toMatch(/^Invalid filter at position 4/)
    await stillServes()
  })

  it('answers an unknown index path with 404 and an unknown endpoint with 404', async () => {
    const unknownIndex = await fetch(`${new URL(url).origin}/no-such-index/info`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '[]',
    })
    expect(unknownIndex.status).toBe(404)
    expect(await unknownIndex.json()).toMatchObject({ status: 404 })
    expect((await call('teleport', '{}')).status).toBe(404)
    await stillServes()
  })

  it('refuses requests that break the record and query rules with 400', async () => {
    const namespace = freshNamespace('errors')
    const cases: Array<[string, unknown, RegExp]> = [
      ['fetch', { ids: ['a'], prefix: 'a' }, /Only one of ids or prefix/],
      ['delete', { ids: ['a'], prefix: 'a' }, /Only and only one of the ids, prefix, or filter/],
      ['upsert', { id: '', vector: [1, 0, 0] }, /id must be a non-empty string/],
      [
        'upsert',
        { id: 'a', sparseVector: { indices: [1], values: [1] } },
        /DENSE indexes take vector/,
      ],
      ['query', { topK: 3 }, /Either data, vector or sparseVector/],
      ['query', { vector: [1, 0, 0], topK: -1 }, /topK must be a non-negative integer/],
      ['range', { cursor: 'abc', limit: 2 }, /invalid cursor/],
      ['update', { id: 'a', metadataUpdateMode: 'MERGE' }, /metadataUpdateMode must be one of/],
    ]
    for (const [endpoint, request, message] of cases) {
      const { status, body } = await call(`${endpoint}/${namespace}`, JSON.stringify(request))
      expect([endpoint, status]).toEqual([endpoint, 400])
      expect(body.error).toMatch(message)
    }
    const data = await call('upsert-data', JSON.stringify({ id: 'a', data: 'text' }))
    expect(data.status).toBe(422)
    expect(data.body.error).toMatch(/Embedding data for this index is not allowed/)
    await stillServes()
  })

  it('lets the read-only token query but not write', async () => {
    const reader = testIndex('test-cosine', 'readonly')
    await expect(reader.info()).resolves.toMatchObject({ dimension: 3 })
    const refused = await call(
      'upsert',
      JSON.stringify({ id: 'r', vector: [1, 0, 0] }),
      readonlyToken
    )
    expect(refused).toMatchObject({ status: 403, body: { status: 403 } })
    await expect(reader.reset()).rejects.toThrow(/read-only token cannot call reset/)
  })
})
