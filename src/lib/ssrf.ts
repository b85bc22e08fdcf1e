/**
 * @module
 * The guard on upstream URLs a tenant supplies (its own OpenAI-compatible base URL). The WHATWG
 * parser has already normalised decimal, octal and hex IPv4 forms and IPv6 literals, so checks run
 * on canonical hosts. Names that resolve to private addresses (DNS rebinding) are outside what a
 * Worker can see; Cloudflare's own egress refuses private ranges in production.
 */

export type UpstreamUrlPolicy = {
  environment: 'production' | 'development'
  /** The local stack's tenants point at the mock provider on 127.0.0.1. */
  allowLoopbackUpstreams: boolean
}

/** Why the URL is refused, or `undefined` when it may be fetched. */
export function unsafeUpstreamReason(raw: string, policy: UpstreamUrlPolicy): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not a valid URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https'
  if (url.protocol === 'http:' && policy.environment === 'production') return 'must use https'
  if (url.username || url.password) return 'must not carry credentials'
  const host = url.hostname.toLowerCase().replace(/\.$/, '')
  const kind = classifyHost(host)
  if (kind === 'public') return undefined
  if (kind === 'loopback' && policy.allowLoopbackUpstreams) return undefined
  return `must not point at a ${kind} address`
}

type HostKind = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'reserved'

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data'])

function classifyHost(host: string): HostKind {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback'
  if (METADATA_NAMES.has(host) || host.endsWith('.internal')) return 'metadata'
  if (host.startsWith('[')) return classifyIpv6(host.slice(1, -1))
  const ipv4 = parseIpv4(host)
  return ipv4 ? classifyIpv4(ipv4) : 'public'
}

function parseIpv4(host: string): number[] | undefined {
  const parts = host.split('.')
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined
  const octets = parts.map(Number)
  return octets.every((octet) => octet <= 255) ? octets : undefined
}

function classifyIpv4([a = 0, b = 0, c = 0, d = 0]: number[]): HostKind {
  if (a === 127) return 'loopback'
  if (a === 169 && b === 254) return c === 169 && d === 254 ? 'metadata' : 'link-local'
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'
  // 100.64.0.0/10 is carrier-grade NAT, private in practice; 0/8 and 224+ are not unicast.
  if (a === 100 && b >= 64 && b <= 127) return 'private'
  if (a === 0 || a >= 224) return 'reserved'
  if (a === 192 && b === 0 && c === 0) return 'reserved'
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'
  return 'public'
}

function classifyIpv6(address: string): HostKind {
  if (address === '::1') return 'loopback'
  if (address === '::') return 'reserved'
  // IPv4-mapped (::ffff:a.b.c.d, which the parser writes as ::ffff:xxxx:xxxx).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address)
  if (mapped?.[1] && mapped[2]) {
    const high = Number.parseInt(mapped[1], 16)
    const low = Number.parseInt(mapped[2], 16)
    return classifyIpv4([high >> 8, high & 255, low >> 8, low & 255])
  }
  if (address.startsWith('fd00:ec2::')) return 'metadata'
  const first = Number.parseInt(address.split(':')[0] || '0', 16)
  if ((first & 0xfe00) === 0xfc00) return 'private'
  if ((first & 0xffc0) === 0xfe80) return 'link-local'
  if ((first & 0xff00) === 0xff00) return 'reserved'
  return 'public'
}
