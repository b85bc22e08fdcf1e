/**
 * Fetching a tenant's key set from its identity provider: a body that is cut off, endless or
 * too large is the provider's outage (503 with retry-after), never a 500 or a 401.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { exportJWK, generateKeyPair } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type JwksSource, remoteKeys } from '../../src/end-users/jwks'

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

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

  it('asks a down provider about unknown key ids once per cooldown, not once per token', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true })
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] }
    let fetches = 0
    let down = false
    vi.stubGlobal('fetch', async () => {
      fetches++
      return down ? new Response('down', { status: 503 }) : Response.json(jwks)
    })
    let now = Date.now()
    vi.spyOn(Date, 'now').mockImplementation(() => now)
    const keys = remoteKeys(source(), 'https://idp.example.com/jwks')
    const unknownKid = () =>
      keys({ alg: 'RS256', kid: 'made-up' }, { payload: '', signature: '' } as never)
    await expect(unknownKid()).rejects.toThrow()
    expect(fetches).toBe(1)
    down = true
    now += 31_000
    for (let i = 0; i < 3; i++) await expect(unknownKid()).rejects.toThrow()
    expect(fetches).toBe(2)
  })
})
