import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import type { CacheTicket, Found, ResponseCache } from '../../src/cache/response-cache'
import { loadConfig } from '../../src/config'
import { buildDeps } from '../../src/deps'
import type { Bindings } from '../../src/env'
import type { Admitted, Limits } from '../../src/limits/admission'
import { chatRequest, mockRequests, servedBy, uniqueTag } from '../helpers/gateway'
import { tenantWithKey } from '../tenancy/fixtures'

/**
 * The real app with admission and the cache replaced by recorders: what the pipeline asks of its
 * stages, in which order, and what it does with their answers. Authentication, targets and the
 * upstream (the mock provider) are the real ones.
 */
function recordingApp(options: { held?: Found; exact?: Found } = {}) {
  const steps: string[] = []
  const admitted: Admitted = {
    headers: { 'x-ratelimit-limit-requests': '7' },
    degraded: [],
    settle: async (consumed) =>
      void steps.push(
        consumed ? `settle ${consumed.tokens > 0 ? 'used' : 'free'}` : 'settle refund'
      ),
  }
  const limits: Limits = {
    admit: async () => {
      steps.push('admit')
      return admitted
    },
    admitHeld: () => {
      steps.push('admit held')
      return admitted
    },
  }
  const ticket: CacheTicket = {
    status: 'MISS',
    held: options.held,
    degraded: [],
    lookup: () => {
      steps.push('lookup')
      return {
        exact: Promise.resolve(options.exact),
        similar: async () => undefined,
        late: () => false,
      }
    },
    store: () => void steps.push('store'),
  }
  const cache: ResponseCache = {
    open: async () => {
      steps.push('open cache')
      return ticket
    },
  }
  const app = createApp({ ...buildDeps(loadConfig(env as Bindings)), limits, cache })
  const served = servedBy({ app })
  const call = async (init: RequestInit) => {
    const response = await served.fetch('http://gateway/v1/chat/completions', init)
    await response.text()
    await served.settled()
    return response
  }
  return { steps, call }
}

const stored: Found = {
  status: 'HIT',
  entry: {
    model: 'mock/first',
    storedAt: Date.now() - 5000,
    completion: {
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'kept', refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    },
  },
}

describe('chat pipeline', () => {
  it('opens the cache, looks up and admits together, dispatches, then settles and stores', async () => {
    const { secret } = await tenantWithKey()
    const { steps, call } = recordingApp()
    const tag = uniqueTag()
    const response = await call(
      chatRequest(secret, {
        model: `mock/m:tag=${tag}`,
        messages: [{ role: 'user', content: 'hi' }],
      })
    )
    expect(response.status).toBe(200)
    expect(steps).toEqual(['open cache', 'lookup', 'admit', 'settle used', 'store'])
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('7')
    expect(response.headers.get('x-cache')).toBe('MISS')
    expect(await mockRequests(tag)).toHaveLength(1)
  })

  it('answers what the isolate holds without lookup, admission round trip or upstream', async () => {
    const { secret } = await tenantWithKey()
    const { steps, call } = recordingApp({ held: stored })
    const response = await call(
      chatRequest(secret, { model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] })
    )
    expect(steps).toEqual(['open cache', 'admit held', 'settle free'])
    expect(response.headers.get('x-cache')).toBe('HIT')
    expect(response.headers.get('x-gateway-target')).toBe('mock/first')
    expect(response.headers.get('x-gateway-attempts')).toBe('0')
    expect(response.headers.get('age')).toMatch(/^[5-9]$/)
  })

  it('serves an exact hit found in the admission round trip, and never dispatches', async () => {
    const { secret } = await tenantWithKey()
    const { steps, call } = recordingApp({ exact: stored })
    const tag = uniqueTag()
    const response = await call(
      chatRequest(secret, {
        model: `mock/m:tag=${tag}`,
        messages: [{ role: 'user', content: 'hi' }],
      })
    )
    expect(steps).toEqual(['open cache', 'lookup', 'admit', 'settle free'])
    expect(response.headers.get('x-cache')).toBe('HIT')
    expect(await mockRequests(tag)).toHaveLength(0)
  })

  it('refunds everything when dispatch fails', async () => {
    const { secret } = await tenantWithKey()
    const { steps, call } = recordingApp()
    const response = await call(
      chatRequest(secret, {
        model: 'mock/m:status=400',
        messages: [{ role: 'user', content: 'hi' }],
      })
    )
    expect(response.status).toBe(400)
    expect(steps).toEqual(['open cache', 'lookup', 'admit', 'settle refund'])
  })
})
