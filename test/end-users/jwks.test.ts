/**
 * Fetching a tenant's key set from its identity provider: a body that is cut off, endless or
 * too large is the provider's outage (503 with retry-after), never a 500 or a 401.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type JwksSource, remoteKeys } from '../../src/end-users/jwks'

afterEach(() => vi.unstubAllGlobals())

function source(): JwksSource {
  return {
    redis: { get: async () => null, set: async () => 'OK' } as unknown as Redis,
    tenantId: `t${crypto.randomUUID()}`,
    policy: { environment: 'production', allowLoopbackUpstreams: false },
    waitUntil: () => {},
    report: () => {},
  }
}

const resolve = (keys: ReturnType<typeof remoteKeys>) =>
  keys({ alg: 'RS256', kid: 'k1' }, { payload: '', signature: '' } as never)

describe('remote key sets', () => {
  it('answers 503 when the body breaks off while it is read', async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"keys":['))
        controller.error(new DOMException('The operation timed out.', 'TimeoutError'))
      },
    })
    vi.stubGlobal('fetch', async () => new Response(broken, { status: 200 }))
    await expect(
      resolve(remoteKeys(source(), 'https://idp.example.com/jwks'))
    ).rejects.toMatchObject({
      status: 503,
      code: 'jwks_unavailable',
      headers: { 'retry-after': '5' },
    })
  })

  it('answers 503 for a key set past the size cap, without reading it all', async () => {
    const huge = `{"keys":[${'{"kty":"oct"},'.repeat(10_000)}{}]}`
    vi.stubGlobal('fetch', async () => new Response(huge, { status: 200 }))
    await expect(
      resolve(remoteKeys(source(), 'https://idp.example.com/jwks'))
    ).rejects.toMatchObject({
      status: 503,
      code: 'jwks_unavailable',
      message: 'The key set is too large.',
    })
  })
})
