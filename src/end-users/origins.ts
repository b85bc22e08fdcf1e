/**
 * @module
 * Matching a browser's `Origin` against allowed origin patterns: exact, or `https://*.example.com`
 * for any subdomain (at any depth, not the apex) with the same scheme and port.
 */

export function matchesOrigin(patterns: readonly string[] | undefined, origin: string): boolean {
  if (!patterns) return false
  const lower = origin.toLowerCase()
  return patterns.some((pattern) => matchesOne(pattern, lower))
}

function matchesOne(pattern: string, origin: string): boolean {
  const star = pattern.indexOf('://*.')
  if (star < 0) return pattern === origin
  const scheme = pattern.slice(0, star + 3)
  const suffix = pattern.slice(star + 4)
  if (!origin.startsWith(scheme) || !origin.endsWith(suffix)) return false
  const subdomain = origin.slice(scheme.length, origin.length - suffix.length)
  // Labels only: `https://*.example.com` must not match `https://evil.com/.example.com`.
  return subdomain.length > 0 && /^[a-z0-9.-]+$/.test(subdomain)
}
