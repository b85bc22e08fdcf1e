/**
 * @module
 * The records as stored in Redis. Read back through these schemas, so a record written by an older
 * version or edited by hand fails loudly instead of flowing on with the wrong shape.
 */
import * as z from 'zod/mini'
import { GuardrailPolicySchema } from '../guardrails/settings'
import { lazy } from '../lib/lazy'
import { BudgetSchema, KeyScopesSchema, TenantConfigSchema } from './schema'

export const TenantRecordSchema = lazy(() =>
  z.object({
    id: z.string(),
    name: z.string(),
    config: TenantConfigSchema(),
    created_at: z.string(),
    updated_at: z.string(),
  })
)

export type TenantRecord = z.infer<ReturnType<typeof TenantRecordSchema>>

export const KeyRecordSchema = lazy(() =>
  z.object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    /** The first characters of the secret, enough to recognise it in a list. */
    prefix: z.string(),
    secret_hash: z.string(),
    scopes: KeyScopesSchema(),
    created_at: z.string(),
    expires_at: z.optional(z.string()),
    revoked_at: z.optional(z.string()),
    rotated_at: z.optional(z.string()),
    requests_per_minute: z.optional(z.int()),
    budget: z.optional(BudgetSchema()),
    guardrails: z.optional(GuardrailPolicySchema()),
    /** Secrets replaced by rotation that still work until `until`. */
    retired: z.array(z.object({ secret_hash: z.string(), until: z.string() })),
  })
)

export type KeyRecord = z.infer<ReturnType<typeof KeyRecordSchema>>

/** The global index entry that finds a key from the digest of its secret. */
export const SecretIndexSchema = lazy(() =>
  z.object({
    key_id: z.string(),
    tenant_id: z.string(),
    /** Set on secrets retired by rotation: the end of their grace period. */
    until: z.optional(z.string()),
  })
)

export type SecretIndexEntry = z.infer<ReturnType<typeof SecretIndexSchema>>

/** Parses what Redis returned; `undefined` when the entry does not exist. */
export function parseStored<T>(
  schema: z.ZodMiniType<T>,
  value: unknown,
  what: string
): T | undefined {
  if (value === null || value === undefined) return undefined
  const parsed = schema.safeParse(typeof value === 'string' ? JSON.parse(value) : value)
  if (!parsed.success) throw new Error(`Corrupt ${what} record in Redis`)
  return parsed.data
}
