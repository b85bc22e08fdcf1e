import { describe, expect, it } from 'vitest'
import { gatewayFetch } from '../helpers/gateway'
import { readFrames } from '../helpers/sse'
import { tenantWithKey } from '../tenancy/fixtures'
import { api } from './helpers'

describe('retrieval with the answer cache', () => {
  it('keys the cache on the retrieved sources and cites cached answers too', async () => {
    const tenant = await tenantWithKey({ cache: { enabled: true } })
    await api(tenant.secret, 'POST', '/v1/collections', { name: 'faq' })
    const ingest = (text: string) =>
      api(tenant.secret, 'POST', '/v1/collections/faq/documents', {
        id: 'hours',
        title: 'Hours',
        text,
      })
    await ingest('The office opens at nine in the morning.')
    const ask = async (stream = false) => {
      const response = await gatewayFetch('http://gateway/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'mock/m:echo',
          stream,
          temperature: 0,
          messages: [{ role: 'user', content: 'When does the office open?' }],
          retrieval: { collection: 'faq', top_k: 1 },
        }),
      })
      return response
    }
    const first = await ask()
    expect(first.headers.get('x-cache')).toBe('MISS')
    const firstBody = (await first.json()) as {
      citations: unknown[]
      choices: Array<{ message: { content: string } }>
    }
    expect(firstBody.choices[0]?.message.content).toContain('nine in the morning')

    const second = await ask()
    expect(second.headers.get('x-cache')).toBe('HIT')
    const secondBody = (await second.json()) as { citations: unknown[] }
    expect(secondBody.citations).toEqual(firstBody.citations)

    const streamedHit = await ask(true)
    expect(streamedHit.headers.get('x-cache')).toBe('HIT')
    const frames = await readFrames(streamedHit.body)
    expect(frames.at(-2)?.event).toBe('citations')
    expect(JSON.parse(frames.at(-2)?.data ?? '{}').citations).toEqual(firstBody.citations)

    // Same question, different source text: a different prompt, so not the old answer.
    await ingest('The office opens at ten in the morning.')
    const changed = await ask()
    expect(changed.headers.get('x-cache')).toBe('MISS')
    const changedBody = (await changed.json()) as {
      choices: Array<{ message: { content: string } }>
    }
    expect(changedBody.choices[0]?.message.content).toContain('ten in the morning')
  })
})
