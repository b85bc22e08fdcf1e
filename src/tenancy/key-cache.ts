/**
 * @module
 * Resolved API keys cached in the isolate, so most requests authenticate without a Redis round
 * trip. An entry is trusted for FRESH_MS: a revocation, rotation or tenant change made through
 * another isolate takes effect within that time (the isolate that handled the admin call forgets
 * at once). When Redis is unreachable an entry up to STALE_IF_ERROR_MS old still authenticates,
 * so fail-open tenants keep being served through an outage.
 *
 * Entries are found by the presented secret itself, so a cached key costs no SHA-256: the secret
 * never leaves isolate memory, and the digest it maps to is kept for revocations, which name
 * keys by digest.
 *
 * End-user credentials (src/end-users/) name their tenant and key by id instead: their entries sit
 * in the same map under `idsLookup`, so every revocation, rotation and tenant change that forgets
 * a key's secrets forgets them too.
 */
import type { ApiKeyContext, TenantContext } from './types'

export const FRESH_MS = 5_000
export const STALE_IF_ERROR_MS = 5 * 60_000
const MAX_ENTRIES = 10_000

export type ResolvedKey = {
  tenant: TenantContext
  apiKey: ApiKeyContext
  /** Epoch ms of the key's own expiry. */
  expiresAt: number | undefined
  /** Epoch ms when a secret replaced by rotation stops working. */
  graceUntil: number | undefined
}

type Entry = { resolved: ResolvedKey; secretHash: string; fetchedAt: number }

const entries = new Map<string, Entry>()

export function cachedKey(secret: string, maxAgeMs: number): ResolvedKey | undefined {
  const entry = entries.get(secret)
  if (!entry || Date.now() - entry.fetchedAt > maxAgeMs) return undefined
  return entry.resolved
}

export function rememberKey(secret: string, secretHash: string, resolved: ResolvedKey): void {
  entries.delete(secret)
  if (entries.size >= MAX_ENTRIES) {
    // Maps iterate in insertion order: the first entry is the least recently fetched.
    const oldest = entries.keys().next()
    if (!oldest.done) entries.delete(oldest.value)
  }
  entries.set(secret, { resolved, secretHash, fetchedAt: Date.now() })
}

export function forgetSecrets(secretHashes: string[]): void {
  const forgotten = new Set(secretHashes)
  for (const [secret, entry] of entries) {
    if (forgotten.has(entry.secretHash)) entries.delete(secret)
  }
}

export function forgetTenant(tenantId: string): void {
  for (const [secret, entry] of entries) {
    if (entry.resolved.tenant.id === tenantId) entries.delete(secret)
  }
}

/** The map key of an entry found by ids; NUL never occurs in a well-formed secret. */
export function idsLookup(tenantId: string, label: string): string {
  return `\0${tenantId}\0${label}`
}
