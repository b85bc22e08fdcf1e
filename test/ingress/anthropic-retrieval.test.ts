import Anthropic from '@anthropic-ai/sdk'
import { beforeAll, describe, expect, it } from 'vitest'
import { gatewayFetch, type TestTenant } from '../helpers/gateway'
import { readFrames } from '../helpers/sse'
import { api, uniqueName } from '../retrieval/helpers'
import { tenantWithKey } from '../tenancy/fixtures'

let tenant: TestTenant
let collection: string

beforeAll(async () => {
  tenant = await tenantWithKey()
  collection = uniqueName('handbook')
  await api(tenant.secret, 'POST', '/v1/collections', { name: collection })
  await api(tenant.secret, 'POST', `/v1/collections/${collection}/documents`, {
    documents: [
      {
        id: 'holidays',
        title: 'Holiday policy',
        text: 'Every employee gets thirty days of paid holiday per year.',
      },
    ],
  })
})

const request = (stream: boolean) => ({
  model: 'mock/m:echo',
  max_tokens: 512,
  stream,
  messages: [{ role: 'user' as const, content: 'How many days of paid holiday?' }],
  retrieval: { collection, top_k: 1 },
})

describe('POST /v1/messages with retrieval (the gateway extension)', () => {
  it('grounds the answer in the sources and adds citations to the message', async () => {
    const response = await gatewayFetch('http://gateway/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': tenant.secret, 'content-type': 'application/json' },
      body: JSON.stringify(request(false)),
    })
    const message = (await response.json()) as {
      content: Array<{ text: string }>
      citations: Array<{ document_id: string }>
    }
    expect(message.content[0]?.text).toContain('thirty days of paid holiday')
    expect(message.citations.map((citation) => citation.document_id)).toEqual(['holidays'])
  })

  it('streams a citations event before message_delta, which the Anthropic SDK reads past', async () => {
    const response = await gatewayFetch('http://gateway/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': tenant.secret, 'content-type': 'application/json' },
      body: JSON.stringify(request(true)),
    })
    const frames = await readFrames(response.body)
    expect(frames.map((frame) => frame.event).slice(-3)).toEqual([
      'citations',
      'message_delta',
      'message_stop',
    ])
    const citations = JSON.parse(frames.at(-3)?.data ?? '{}')
    expect(citations).toMatchObject({ type: 'citations', citations: [{ document_id: 'holidays' }] })

    const client = new Anthropic({
      apiKey: tenant.secret,
      baseURL: 'http://gateway',
      fetch: gatewayFetch,
      maxRetries: 0,
    })
    const { stream: _stream, ...rest } = request(true)
    // The SDK sends fields it does not know as they are: the extension rides along.
    const params: Anthropic.MessageStreamParams & { retrieval: unknown } = rest
    const final = await client.messages.stream(params).finalMessage()
    expect(final.content[0]?.type === 'text' && final.content[0].text).toContain('thirty days')
  })
})
