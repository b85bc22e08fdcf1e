/**
 * @module
 * The guard on upstream URLs a tenant supplies (its own OpenAI-compatible base URL). The WHATWG
 * parser has already normalised decimal, octal and hex IPv4 forms and IPv6 literals, so checks run
 * on canonical hosts; `ipaddr.js` classifies addresses against the IANA special-purpose
 * registries. Names that resolve to private addresses (DNS rebinding) are outside what a Worker
 * can see; Cloudflare's own egress refuses private ranges in production.
 */
import ipaddr from 'ipaddr.js'

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

/** Cloud metadata services: AWS, GCP and Azure on IPv4, AWS on IPv6. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254'])

function classifyHost(host: string): HostKind {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback'
  if (METADATA_NAMES.has(host) || host.endsWith('.internal')) return 'metadata'
  if (host.startsWith('[') && host.endsWith(']')) {
    const literal = host.slice(1, -1)
    return ipaddr.IPv6.isValid(literal) ? classifyIpv6(ipaddr.IPv6.parse(literal)) : 'reserved'
  }
  // The URL parser writes every IPv4 form as four decimal parts; anything else is a name.
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return classifyIpv4(ipaddr.IPv4.parse(host))
  return 'public'
}

function classifyIpv4(address: ipaddr.IPv4): HostKind {
  if (METADATA_ADDRESSES.has(address.toString())) return 'metadata'
  const range = address.range()
  switch (range) {
    case 'unicast':
      return 'public'
    case 'loopback':
      return 'loopback'
    case 'private':
    case 'carrierGradeNat':
      return 'private'
    case 'linkLocal':
      return 'link-local'
    default:
      // Unspecified, broadcast, multicast, documentation, benchmarking, 6to4 relay, AS112, AMT.
      return 'reserved'
  }
}

function classifyIpv6(address: ipaddr.IPv6): HostKind {
  if (METADATA_ADDRESSES.has(address.toRFC5952String())) return 'metadata'
  const embedded = embeddedIpv4(address)
  if (embedded) {
    // A transition address reaches the IPv4 host it embeds: judge that host. Even a public one
    // is refused, as no provider is reached through a translator the gateway cannot see.
    const kind = classifyIpv4(embedded)
    return kind === 'public' ? 'reserved' : kind
  }
  const range = address.range()
  switch (range) {
    case 'unicast':
      // ::/8 is reserved by the IETF beyond the few addresses the registry names.
      return (address.parts[0] ?? 0) < 0x100 ? 'reserved' : 'public'
    case 'loopback':
      return 'loopback'
    case 'uniqueLocal':
      return 'private'
    case 'linkLocal':
      return 'link-local'
    default:
      return 'reserved'
  }
}

/**
 * The IPv4 address inside an IPv6 one: IPv4-mapped (::ffff:0:0/96), SIIT (::ffff:0:0:0/96),
 * IPv4-compatible (::/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16, bits 16-48) and Teredo
 * (2001::/32, the client's address inverted in the last 32 bits).
 */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts
  const word = (i: number) => p[i] ?? 0
  const ipv4 = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  const zeroUntil = (end: number) => p.slice(0, end).every((part) => part === 0)
  if (zeroUntil(5) && (word(5) === 0xffff || word(5) === 0)) {
    // :: and ::1 are themselves (unspecified, loopback), not IPv4 0.0.0.0 and 0.0.0.1.
    if (word(5) === 0 && word(6) === 0) return undefined
    return ipv4(word(6), word(7))
  }
  if (zeroUntil(4) && word(4) === 0xffff && word(5) === 0) return ipv4(word(6), word(7))
  if (word(0) === 0x64 && word(1) === 0xff9b && p.slice(2, 6).every((part) => part === 0)) {
    return ipv4(word(6), word(7))
  }
  if (word(0) === 0x2002) return ipv4(word(1), word(2))
  if (word(0) === 0x2001 && word(1) === 0) return ipv4(word(6) ^ 0xffff, word(7) ^ 0xffff)
  return undefined
}
