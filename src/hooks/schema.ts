/**
 * @module
 * What a tenant sends to create or change a hook, validated at the edge. The verifier is fixed at
 * creation (a different sender is a different hook); everything else may change.
 */
import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'
import { ModelName } from '../openai/chat-request'
import { VERIFIERS } from './signatures'
import { MAX_TEMPLATE_CHARS } from './template'

/** Production default; a sender's clock may lag ours by this much (Stripe's and Slack's SDKs use 300 s). */
export const DEFAULT_TOLERANCE_SECONDS = 300
const MAX_TOLERANCE_SECONDS = 3_600

const changeable = () => ({
  name: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(256)))),
  secret: z.optional(z.string().check(z.minLength(8), z.maxLength(1024))),
  template: z.string().check(z.minLength(1), z.maxLength(MAX_TEMPLATE_CHARS)),
  instructions: z.optional(z.nullable(z.string().check(z.maxLength(MAX_TEMPLATE_CHARS)))),
  model: ModelName(),
  max_output_tokens: z.optional(z.nullable(z.int().check(z.minimum(1)))),
  temperature: z.optional(z.nullable(z.number().check(z.gte(0), z.lte(2)))),
  enabled: z.boolean(),
  tolerance_seconds: z.int().check(z.gte(1), z.lte(MAX_TOLERANCE_SECONDS)),
})

export const CreateHookSchema = lazy(() => {
  const fields = changeable()
  return z.strictObject({
    ...fields,
    verifier: z.enum(VERIFIERS),
    enabled: z._default(fields.enabled, true),
    tolerance_seconds: z._default(fields.tolerance_seconds, DEFAULT_TOLERANCE_SECONDS),
  })
})
export type CreateHookInput = z.infer<ReturnType<typeof CreateHookSchema>>

export const UpdateHookSchema = lazy(() => z.partial(z.strictObject(changeable())))
export type UpdateHookInput = z.infer<ReturnType<typeof UpdateHookSchema>>
