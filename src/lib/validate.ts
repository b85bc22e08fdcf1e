/**
 * @module
 * Validation at the edges: the first problem a schema finds becomes a 400 in the OpenAI envelope
 * whose `param` names the field as a client would write it (`messages[1].role`,
 * `config.limits.requests_per_minute`).
 */
import type * as z from 'zod/mini'
import { GatewayError } from '../errors'

export function validate<T>(schema: z.ZodMiniType<T>, value: unknown, paramPrefix = ''): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  // An unknown field is reported on its object: name the field itself, as the client wrote it.
  const unknown = issue?.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : []
  const param = formatPath([
    ...(paramPrefix ? [paramPrefix] : []),
    ...(issue?.path ?? []),
    ...unknown,
  ])
  throw new GatewayError(
    400,
    unknown.length > 0
      ? `Unknown field ${param}.`
      : `Invalid ${param || 'request'}: ${issue?.message ?? 'invalid value'}`,
    {
      param: param || null,
      code: 'invalid_request',
    }
  )
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`
    return out ? `${out}.${String(key)}` : String(key)
  }, '')
}
