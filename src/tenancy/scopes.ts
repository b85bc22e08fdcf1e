/**
 * @module
 * Which models and endpoints a caller may reach. Checked on the target actually dispatched (after
 * alias resolution and for every fallback), so no alias or route leads around a scope.
 */
import type { ApiKeyContext, TenantContext } from './types'

/**
 * `*` matches any run of characters; everything else is literal. No regex is built from the
 * pattern: `.*` groups backtrack quadratically on a long value, stalling the whole isolate.
 * Greedy leftmost matching of the literal pieces is exact for `*`-only globs, and linear.
 */
export function matchesPattern(pattern: string, value: string): boolean {
  const pieces = pattern.split('*')
  if (pieces.length === 1) return pattern === value
  const first = pieces[0] ?? ''
  const last = pieces[pieces.length - 1] ?? ''
  if (first.length + last.length > value.length) return false
  if (!value.startsWith(first) || !value.endsWith(last)) return false
  let at = first.length
  const end = value.length - last.length
  for (const piece of pieces.slice(1, -1)) {
    const found = value.indexOf(piece, at)
    if (found < 0 || found + piece.length > end) return false
    at = found + piece.length
  }
  return true
}

function anyMatches(patterns: string[] | undefined, values: string[]): boolean {
  if (!patterns) return true
  return patterns.some((pattern) => values.some((value) => matchesPattern(pattern, value)))
}

export function allowsModel(
  tenant: TenantContext,
  key: ApiKeyContext,
  target: { provider: string; model: string }
): boolean {
  const names = [`${target.provider}/${target.model}`, target.model]
  return (
    anyMatches(tenant.config.models, names) &&
    anyMatches(key.scopes.models, names) &&
    anyMatches(key.endUserModels, names)
  )
}

export function allowsEndpoint(key: ApiKeyContext, path: string): boolean {
  return anyMatches(key.scopes.endpoints, [path])
}
