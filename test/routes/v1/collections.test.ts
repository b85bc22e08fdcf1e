import { beforeAll, describe, expect, it } from 'vitest'
import type { TestTenant } from '../../helpers/gateway'
import { api, uniqueName } from '../../retrieval/helpers'
import { tenantWithKey } from '../../tenancy/fixtures'

let tenant: TestTenant
let documents: string

beforeAll(async () => {
  tenant = await tenantWithKey()
  const name = uniqueName('cursor')
  expect((await api(tenant.secret, 'POST', '/v1/collections', { name })).status).toBe(201)
  documents = `/v1/collections/${name}/documents`
})

describe('GET /v1/collections/:name/documents', () => {
  it.each(['18446744073709551616', '99999999999999999999999', '-1', '1e3', 'abc'])(
    'refuses the cursor %s with a 400 naming it',
    async (cursor) => {
      const answer = await api(tenant.secret, 'GET', `${documents}?cursor=${cursor}`)
      expect(answer.status).toBe(400)
      expect(answer.body).toMatchObject({ error: { param: 'cursor' } })
    }
  )

  it('accepts the largest cursor Redis can hand out, and a first page', async () => {
    expect(
      (await api(tenant.secret, 'GET', `${documents}?cursor=18446744073709551615`)).status
    ).toBe(200)
    expect((await api(tenant.secret, 'GET', documents)).body).toMatchObject({ next_cursor: null })
  })
})
