/**
 * @module
 * Request validation for the admin and usage APIs: a bad field becomes a 400 in the OpenAI
 * envelope whose `param` names it, e.g. `config.limits.requests_per_minute`.
 */
import type { Context } from 'hono'
import type * as z from 'zod/mini'
import type { AppEnv } from '../env'
import { GatewayError } from '../errors'

export function validate<T>(schema: z.ZodMiniType<T>, value: unknown, paramPrefix = ''): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path = [paramPrefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.')
  throw new GatewayError(
    400,
    `Invalid ${path || 'request'}: ${issue?.message ?? 'invalid value'}.`,
    {
      param: path || null,
      code: 'invalid_request',
    }
  )
}

/** An absent body counts as `{}`, so endpoints whose fields are all optional accept none. */
export async function readJson<T>(c: Context<AppEnv>, schema: z.ZodMiniType<T>): Promise<T> {
  const text = await c.req.text()
  let body: unknown = {}
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text)
    } catch {
      throw new GatewayError(400, 'The request body is not valid JSON.', { code: 'invalid_json' })
    }
  }
  return validate(schema, body)
}
