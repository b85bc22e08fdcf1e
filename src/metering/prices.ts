/**
 * @module
 * The price table: USD per million input, output and cached-input tokens, by `provider/model` or
 * bare model name, globs allowed. List prices as published by the providers in 2026; a tenant's
 * `config.pricing` overrides any entry (negotiated rates, private models).
 */
import type { Price } from '../tenancy/schema'
import { matchesPattern } from '../tenancy/scopes'
import type { TenantContext } from '../tenancy/types'

export const PRICE_TABLE: Record<string, Price> = {
  'openai/gpt-4o-mini*': { input: 0.15, output: 0.6, cached: 0.075 },
  'openai/gpt-4o*': { input: 2.5, output: 10, cached: 1.25 },
  'openai/gpt-4.1-nano*': { input: 0.1, output: 0.4, cached: 0.025 },
  'openai/gpt-4.1-mini*': { input: 0.4, output: 1.6, cached: 0.1 },
  'openai/gpt-4.1*': { input: 2, output: 8, cached: 0.5 },
  'openai/gpt-5-nano*': { input: 0.05, output: 0.4, cached: 0.005 },
  'openai/gpt-5-mini*': { input: 0.25, output: 2, cached: 0.025 },
  'openai/gpt-5*': { input: 1.25, output: 10, cached: 0.125 },
  'openai/o4-mini*': { input: 1.1, output: 4.4, cached: 0.275 },
  'openai/text-embedding-3-small': { input: 0.02, output: 0 },
  'openai/text-embedding-3-large': { input: 0.13, output: 0 },
  'anthropic/claude-haiku-4*': { input: 1, output: 5, cached: 0.1 },
  'anthropic/claude-sonnet-4*': { input: 3, output: 15, cached: 0.3 },
  'anthropic/claude-opus-4*': { input: 15, output: 75, cached: 1.5 },
  // The local mock provider: priced, so budgets and cost reports can be exercised end to end.
  'mock/*': { input: 1, output: 2, cached: 0.5 },
}

const UNPRICED: Price = { input: 0, output: 0, cached: 0 }

/** The most specific matching entry: exact names before globs, longer globs before shorter. */
export function priceFor(tenant: TenantContext, model: string): Price {
  const bare = model.slice(model.indexOf('/') + 1)
  return (
    bestMatch(tenant.config.pricing, model, bare) ?? bestMatch(PRICE_TABLE, model, bare) ?? UNPRICED
  )
}

function bestMatch(
  table: Record<string, Price> | undefined,
  model: string,
  bare: string
): Price | undefined {
  if (!table) return undefined
  const exact = table[model] ?? table[bare]
  if (exact) return exact
  let best: { pattern: string; price: Price } | undefined
  for (const [pattern, price] of Object.entries(table)) {
    if (!pattern.includes('*')) continue
    if (!matchesPattern(pattern, model) && !matchesPattern(pattern, bare)) continue
    if (!best || pattern.length > best.pattern.length) best = { pattern, price }
  }
  return best?.price
}

export type TokenCounts = { promptTokens: number; completionTokens: number; cachedTokens: number }

/** Micro-USD: tokens times USD per million. Cached tokens are part of the prompt tokens. */
export function costMicroUsd(price: Price, tokens: TokenCounts): number {
  const cached = Math.min(tokens.cachedTokens, tokens.promptTokens)
  return (
    (tokens.promptTokens - cached) * price.input +
    cached * (price.cached ?? price.input) +
    tokens.completionTokens * price.output
  )
}
