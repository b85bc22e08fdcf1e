/**
 * @module
 * Which models and endpoints a caller may reach. Checked on the target actually dispatched (after
 * alias resolution and for every fallback), so no alias or route leads around a scope.
 */
import type { ApiKeyContext, TenantContext } from './types'

const compiled = new Map<string, RegExp>()

/** `*` matches any run of characters; everything else is literal. */
export function matchesPattern(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value
  let regex = compiled.get(pattern)
  if (!regex) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')
    regex = new RegExp(`^${source}$`)
    compiled.set(pattern, regex)
  }
  return regex.test(value)
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
  return anyMatches(tenant.config.models, names) && anyMatches(key.scopes.models, names)
}

export function allowsEndpoint(key: ApiKeyContext, path: string): boolean {
  return anyMatches(key.scopes.endpoints, [path])
}
