import { describe, expect, it } from 'vitest'
import { chatRequest, mockRequests, servedBy, uniqueTag } from '../helpers/gateway'
import { awayFromWindowEdge, BASE, failure, tenantWithKey } from '../tenancy/fixtures'
import { APP_ORIGIN, endUserChat, mintToken } from './fixtures'

const body = (model = 'mock-gpt') => ({
  model,
  max_tokens: 8,
  messages: [{ role: 'user', content: 'Say something short.' }],
})

describe('per end user', () => {
  it('admits exactly the limit under concurrency, and another user is unaffected', async () => {
    const { secret } = await tenantWithKey({
      end_users: { cors_origins: [APP_ORIGIN], limits: { requests_per_minute: 20 } },
    })
    const alice = await mintToken(secret, { user: 'alice', ttl_seconds: 120 })
    const bob = await mintToken(secret, { user: 'bob', ttl_seconds: 120 })
    await awayFromWindowEdge()
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => endUserChat(alice.token, {}))
    )
    const statuses = await Promise.all(
      responses.map(async (response) => {
        await response.text()
        return response.status
      })
    )
    expect(statuses.filter((status) => status === 200)).toHaveLength(20)
    expect(statuses.filter((status) => status === 429)).toHaveLength(80)
    const other = await endUserChat(bob.token, {})
    expect(other.status).toBe(200)
    await other.text()
  })

  it('applies a tier and a daily budget', async () => {
    const { secret } = await tenantWithKey({
      end_users: { tiers: { free: { daily_usd: 0 } } },
      pricing: { 'mock/mock-gpt': { input: 1, output: 1 } },
    })
    const { token } = await mintToken(secret, { user: 'u', ttl_seconds: 60, tier: 'free' })
    expect(await failure(await endUserChat(token, {}))).toMatchObject({
      status: 429,
      type: 'insufficient_quota',
      code: 'daily_budget_exceeded',
    })
  })

  it('forwards the user id hashed with the tenant salt, caps max_tokens, reports usage by user', async () => {
    const { secret } = await tenantWithKey({})
    const { token } = await mintToken(secret, { user: 'alice', ttl_seconds: 60, max_tokens: 5 })
    const tag = uniqueTag()
    const served = servedBy()
    const response = await served.fetch(
      `${BASE}/v1/chat/completions`,
      chatRequest(token, { ...body(`mock/m:tag=${tag}`), max_tokens: 500, user: 'mallory' })
    )
    expect(response.status).toBe(200)
    await response.json()
    await served.settled()
    const [upstream] = await mockRequests(tag)
    const sent = upstream?.body as { user?: string; max_tokens?: number }
    expect(sent.user).toMatch(/^eu_[\w-]{22}$/)
    expect(sent.max_tokens).toBe(5)
    const usage = await served.fetch(`${BASE}/v1/usage?group_by=user`, {
      headers: { authorization: `Bearer ${secret}` },
    })
    const report = (await usage.json()) as { data: Array<{ user: string; requests: number }> }
    expect(report.data).toEqual([expect.objectContaining({ user: sent.user, requests: 1 })])
  })
})
