import { beforeAll, describe, expect, it } from 'vitest'
import { gatewayFetch, type TestTenant } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'
import { api, gatewayIndex, namespaceOf, uniqueName, vectorIds } from './helpers'

let tenant: TestTenant

beforeAll(async () => {
  tenant = await tenantWithKey()
})

async function newCollection(settings: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName('c')
  const created = await api(tenant.secret, 'POST', '/v1/collections', { name, ...settings })
  expect(created.status).toBe(201)
  return name
}

const paragraphs = (count: number, word: string) =>
  Array.from(
    { length: count },
    (_, i) => `Paragraph ${i} talks about ${word} at some length, on purpose.`
  ).join('\n\n')

describe('idempotent ingestion', () => {
  it('writes nothing for an unchanged document and replaces every chunk of a changed one', async () => {
    const name = await newCollection({ chunk_size: 50, chunk_overlap: 0 })
    const path = `/v1/collections/${name}/documents`
    const long = { id: 'guide', title: 'Guide', text: paragraphs(12, 'apples') }

    const first = await api(tenant.secret, 'POST', path, long)
    expect(first.body).toMatchObject({ created: 1 })
    const before = await vectorIds(tenant.tenantId, name)
    expect(before.length).toBeGreaterThan(3)
    const stored = await gatewayIndex().fetch(before, {
      namespace: namespaceOf(tenant.tenantId, name),
      includeData: true,
      includeMetadata: true,
    })

    const again = await api(tenant.secret, 'POST', path, long)
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 1 })
    expect(await vectorIds(tenant.tenantId, name)).toEqual(before)
    const after = await gatewayIndex().fetch(before, {
      namespace: namespaceOf(tenant.tenantId, name),
      includeData: true,
      includeMetadata: true,
    })
    expect(after).toEqual(stored)

    const shorter = await api(tenant.secret, 'POST', path, {
      ...long,
      text: paragraphs(2, 'pears'),
    })
    expect(shorter.body).toMatchObject({
      updated: 1,
      data: [{ id: 'guide', status: 'updated', chunks: 1 }],
    })
    expect(await vectorIds(tenant.tenantId, name)).toEqual(['guide#0'])
    const [only] = await gatewayIndex().fetch(['guide#0'], {
      namespace: namespaceOf(tenant.tenantId, name),
      includeData: true,
      includeMetadata: true,
    })
    expect(only?.data).toContain('pears')
    expect(only?.data).not.toContain('apples')
    expect(only?.metadata).toEqual({ document_id: 'guide', chunk_index: 0, title: 'Guide' })

    const retitled = await api(tenant.secret, 'POST', path, {
      ...long,
      text: paragraphs(2, 'pears'),
      metadata: { lang: 'en' },
    })
    expect(retitled.body).toMatchObject({ updated: 1 })
  })

  it('gives a document without an id the same id for the same text', async () => {
    const name = await newCollection()
    const path = `/v1/collections/${name}/documents`
    const first = await api(tenant.secret, 'POST', path, { text: 'Same words every time.' })
    const second = await api(tenant.secret, 'POST', path, { text: 'Same words every time.' })
    const id = (first.body.data as Array<{ id: string }>)[0]?.id
    expect(id).toMatch(/^doc-[0-9a-f]{24}$/)
    expect(second.body).toMatchObject({ unchanged: 1, data: [{ id, status: 'unchanged' }] })
  })

  it('deletes a collection with its namespace and document records', async () => {
    const name = await newCollection()
    await api(tenant.secret, 'POST', `/v1/collections/${name}/documents`, {
      documents: [
        { id: 'a', text: 'First document.' },
        { id: 'b', text: 'Second document.' },
      ],
    })
    expect(await vectorIds(tenant.tenantId, name)).toEqual(['a#0', 'b#0'])
    const deleted = await api(tenant.secret, 'DELETE', `/v1/collections/${name}`)
    expect(deleted.body).toMatchObject({ deleted: true, documents: 2 })
    expect(await gatewayIndex().listNamespaces()).not.toContain(namespaceOf(tenant.tenantId, name))
    await api(tenant.secret, 'POST', '/v1/collections', { name })
    const list = await api(tenant.secret, 'GET', `/v1/collections/${name}/documents`)
    expect(list.body.data).toEqual([])
  })

  it('accepts .txt and .md files as multipart, with shared metadata', async () => {
    const name = await newCollection()
    const form = new FormData()
    form.append('file', new File(['# Notes\n\nShip on **Tuesday**.'], 'notes.md'))
    form.append('file', new File(['Plain words here.'], 'plain.txt'))
    form.append('metadata', JSON.stringify({ source: 'upload' }))
    const response = await gatewayFetch(`http://gateway/v1/collections/${name}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.secret}` },
      body: form,
    })
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ created: 2 })
    const note = await api(
      tenant.secret,
      'GET',
      `/v1/collections/${name}/documents/notes.md?include_chunks=true`
    )
    expect(note.body).toMatchObject({
      title: 'notes.md',
      metadata: { source: 'upload' },
      chunk_texts: [{ index: 0, text: 'Notes\n\nShip on Tuesday.' }],
    })

    const pdf = new FormData()
    pdf.append('file', new File(['%PDF'], 'scan.pdf'))
    const refused = await gatewayFetch(`http://gateway/v1/collections/${name}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.secret}` },
      body: pdf,
    })
    expect(refused.status).toBe(415)
    await refused.body?.cancel()
  })
})

describe('document validation', () => {
  it('refuses oversize documents, reserved or nested metadata, and bad ids', async () => {
    const name = await newCollection()
    const path = `/v1/collections/${name}/documents`
    const huge = await api(tenant.secret, 'POST', path, {
      documents: [{ id: 'ok', text: 'x' }, { text: 'word '.repeat(50_000) }],
    })
    expect(huge.status).toBe(413)
    expect(huge.body.error).toMatchObject({
      code: 'document_too_large',
      param: 'documents[1].text',
    })
    expect(String((huge.body.error as { message: string }).message)).toMatch(
      /249999 characters.*limit is 200000/
    )
    expect(await vectorIds(tenant.tenantId, name)).toEqual([])

    const cases: Array<[unknown, string]> = [
      [{ text: 'a', metadata: { title: 'x' } }, 'metadata'],
      [{ text: 'a', metadata: { nested: { deep: 1 } } }, 'metadata.nested'],
      [{ text: 'a', markdown: 'b' }, ''],
      [{ id: 'has/slash', text: 'a' }, 'id'],
      [{ id: 'a#1', text: 'a' }, 'id'],
    ]
    for (const [document, param] of cases) {
      const refused = await api(tenant.secret, 'POST', path, document)
      expect(refused.status, JSON.stringify(document)).toBe(400)
      expect((refused.body.error as { param: string | null }).param ?? '').toBe(param)
    }
    const empty = await api(tenant.secret, 'POST', path, { html: '<p> </p>' })
    expect(empty.body.error).toMatchObject({ code: 'empty_document' })
  })
})

describe('search', () => {
  it('returns scored chunks with metadata, text on request, filtered by user metadata', async () => {
    const name = await newCollection()
    await api(tenant.secret, 'POST', `/v1/collections/${name}/documents`, {
      documents: [
        {
          id: 'cats',
          title: 'Cats',
          text: 'Cats sleep most of the day and purr.',
          metadata: { kind: 'pet', legs: 4 },
        },
        {
          id: 'birds',
          text: 'Birds sing at dawn and fly south.',
          metadata: { kind: 'wild', legs: 2 },
        },
        {
          id: 'dogs',
          url: 'https://dogs',
          text: 'Dogs fetch sticks and bark.',
          metadata: { kind: 'pet', legs: 4 },
        },
      ],
    })
    const path = `/v1/collections/${name}/search`
    const found = await api(tenant.secret, 'POST', path, {
      query: 'which animal purrs and sleeps',
      top_k: 2,
    })
    const hits = found.body.data as Array<Record<string, unknown>>
    expect(hits).toHaveLength(2)
    expect(hits[0]).toEqual({
      score: expect.any(Number),
      document_id: 'cats',
      chunk_index: 0,
      title: 'Cats',
      metadata: { kind: 'pet', legs: 4 },
    })

    const withText = await api(tenant.secret, 'POST', path, {
      query: 'sing at dawn',
      top_k: 3,
      filter: "kind = 'pet' AND legs >= 4",
      include_text: true,
    })
    const filtered = withText.body.data as Array<{ document_id: string; text: string }>
    expect(filtered.map((hit) => hit.document_id).sort()).toEqual(['cats', 'dogs'])
    expect(filtered.find((hit) => hit.document_id === 'dogs')?.text).toBe(
      'Dogs fetch sticks and bark.'
    )
  })

  it('refuses a malformed filter with a 400 that points at the position', async () => {
    const name = await newCollection()
    const path = `/v1/collections/${name}/search`
    for (const filter of ["kind = 'pet' AND", "kind == 'pet'", 'legs IN (1, 2', "kind = 'open"]) {
      const refused = await api(tenant.secret, 'POST', path, { query: 'x', filter })
      expect(refused.status, filter).toBe(400)
      expect(refused.body.error).toMatchObject({ param: 'filter', code: 'invalid_filter' })
      expect((refused.body.error as { message: string }).message).toMatch(
        /^Invalid filter at position \d+: /
      )
    }
    // Valid grammar with a pattern only the index checks: its 400 stays a 400 for the caller.
    const byIndex = await api(tenant.secret, 'POST', path, {
      query: 'x',
      filter: "name GLOB '[z-a]'",
    })
    expect(byIndex.status).toBe(400)
    expect(byIndex.body.error).toMatchObject({ param: 'filter', code: 'invalid_filter' })
    expect((byIndex.body.error as { message: string }).message).toMatch(/character range/)
    const fine = await api(tenant.secret, 'POST', path, {
      query: 'x',
      filter:
        "HAS FIELD kind AND (tags CONTAINS 'a' OR name NOT GLOB 'x*') AND legs NOT IN (1, 2.5, true)",
    })
    expect(fine.status).toBe(200)
  })
})
