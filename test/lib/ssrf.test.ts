import { describe, expect, it } from 'vitest'
import { unsafeUpstreamReason } from '../../src/lib/ssrf'

const production = { environment: 'production' as const, allowLoopbackUpstreams: false }
const local = { environment: 'development' as const, allowLoopbackUpstreams: true }

describe('SSRF guard: IPv6 forms that embed IPv4, and special-purpose ranges', () => {
  it.each([
    // IPv4-mapped, written the way the URL parser writes it (::ffff:7f00:1).
    ['https://[::ffff:0:7f00:1]/', 'loopback'],
    ['https://[::ffff:a9fe:a9fe]/', 'metadata'],
    // IPv4-compatible (deprecated, still routed by some stacks).
    ['https://[::7f00:1]/', 'loopback'],
    ['https://[::a00:1]/', 'private'],
    // NAT64 to the metadata address, 6to4 and Teredo around it.
    ['https://[64:ff9b::a9fe:a9fe]/', 'metadata'],
    ['https://[64:ff9b::7f00:1]/', 'loopback'],
    ['https://[2002:a9fe:a9fe::]/', 'metadata'],
    ['https://[2002:7f00:1::1]/', 'loopback'],
    ['https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'loopback'],
    // A transition address to a public host is still no provider's address.
    ['https://[64:ff9b::808:808]/', 'reserved'],
    ['https://[2002:808:808::]/', 'reserved'],
    // IPv4 documentation, benchmarking and other special-purpose ranges.
    ['https://192.0.2.10/', 'reserved'],
    ['https://198.51.100.7/', 'reserved'],
    ['https://203.0.113.99/', 'reserved'],
    ['https://198.18.0.1/', 'reserved'],
    ['https://192.0.0.8/', 'reserved'],
    ['https://192.88.99.1/', 'reserved'],
    ['https://240.0.0.1/', 'reserved'],
    ['https://255.255.255.255/', 'reserved'],
    ['https://224.0.0.1/', 'reserved'],
    // IPv6 special-purpose ranges.
    ['https://[fec0::1]/', 'reserved'],
    ['https://[2001:db8::1]/', 'reserved'],
    ['https://[100::1]/', 'reserved'],
    ['https://[3fff::1]/', 'reserved'],
    ['https://[5f00::1]/', 'reserved'],
    ['https://[ff02::1]/', 'reserved'],
    ['https://[::]/', 'reserved'],
    ['https://[::2:1]/', 'reserved'],
  ])('refuses %s as a %s address, in production and locally', (url, kind) => {
    const reason = `must not point at a ${kind} address`
    expect(unsafeUpstreamReason(url, production)).toBe(reason)
    if (kind !== 'loopback') expect(unsafeUpstreamReason(url, local)).toBe(reason)
  })

  it('keeps public addresses and the local stack loopback switch working', () => {
    expect(unsafeUpstreamReason('https://[2606:4700:4700::1111]/v1', production)).toBeUndefined()
    expect(unsafeUpstreamReason('https://1.1.1.1/v1', production)).toBeUndefined()
    expect(unsafeUpstreamReason('https://api.openai.com/v1', production)).toBeUndefined()
    expect(unsafeUpstreamReason('http://127.0.0.1:8787/v1', local)).toBeUndefined()
    expect(unsafeUpstreamReason('http://[::1]:8787/v1', local)).toBeUndefined()
    expect(unsafeUpstreamReason('http://[::ffff:127.0.0.1]:8787/v1', local)).toBeUndefined()
    expect(unsafeUpstreamReason('https://[::1]/', production)).toBe(
      'must not point at a loopback address'
    )
  })
})
