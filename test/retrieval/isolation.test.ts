import { exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_HEADERS, type TestTenant } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'
import { api, gatewayIndex, namespaceOf, uniqueName, vectorIds } from './helpers'

let owner: TestTenant
let stranger: TestTenant
let collection: string

beforeAll(async () => {
  ;[owner, stranger] = await Promise.all([tenantWithKey(), tenantWithKey()])
  collection = uniqueName('private')
  await api(owner.secret, 'POST', '/v1/collections', { name: collection })
  await api(owner.secret, 'POST', `/v1/collections/${collection}/documents`, {
    id: 'secret',
    text: 'The launch code is hidden in the owner tenant only.',
  })
})

describe('tenant isolation', () => {
  it("answers 404 on every route that names another tenant's collection, and changes nothing", async () => {
    const base = `/v1/collections/${collection}`
    const calls: Array<[string, string, unknown?]> = [
      ['GET', base],
      ['DELETE', base],
      ['GET', `${base}/documents`],
      ['POST', `${base}/documents`, { id: 'planted', text: 'Planted by a stranger.' }],
      ['GET', `${base}/documents/secret`],
      ['DELETE', `${base}/documents/secret`],
      ['POST', `${base}/search`, { query: 'launch code' }],
    ]
    for (const [method, path, body] of calls) {
      const answer = await api(stranger.secret, method, path, body)
      expect(answer.status, `${method} ${path}`).toBe(404)
      expect(answer.body.error).toMatchObject({ code: 'collection_not_found' })
    }
    const listed = await api(stranger.secret, 'GET', '/v1/collections')
    expect(listed.body.data).toEqual([])
    expect(await vectorIds(owner.tenantId, collection)).toEqual(['secret#0'])
    const own = await api(owner.secret, 'GET', `${base}/documents/secret`)
    expect(own.status).toBe(200)
  })

  it('keeps same-named collections of two tenants apart', async () => {
    await api(stranger.secret, 'POST', '/v1/collections', { name: collection })
    await api(stranger.secret, 'POST', `/v1/collections/${collection}/documents`, {
      id: 'other',
      text: 'Nothing about launches here.',
    })
    const search = await api(stranger.secret, 'POST', `/v1/collections/${collection}/search`, {
      query: 'launch code',
      top_k: 10,
    })
    expect(
      (search.body.data as Array<{ document_id: string }>).map((hit) => hit.document_id)
    ).toEqual(['other'])
  })

  it("erases a tenant's collections and vectors when the tenant is deleted", async () => {
    const doomed = await tenantWithKey()
    await api(doomed.secret, 'POST', '/v1/collections', { name: 'notes' })
    await api(doomed.secret, 'POST', '/v1/collections/notes/documents', { text: 'Erase me.' })
    expect(await vectorIds(doomed.tenantId, 'notes')).toHaveLength(1)
    const response = await exports.default.fetch(
      `http://gateway/admin/tenants/${doomed.tenantId}`,
      {
        method: 'DELETE',
        headers: ADMIN_HEADERS,
      }
    )
    const report = (await response.json()) as Record<string, unknown>
    expect(JSON.stringify(report)).toContain('"retrieval_collections":1')
    expect(await gatewayIndex().listNamespaces()).not.toContain(
      namespaceOf(doomed.tenantId, 'notes')
    )
  })
})
