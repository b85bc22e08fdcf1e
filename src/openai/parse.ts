import type * as z from 'zod/mini'
import { GatewayError } from '../errors'

/** Validates a JSON body against a schema; the first problem becomes a 400 naming the field. */
export function parseBody<T extends z.ZodMiniType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const param = issue ? formatPath(issue.path) : null
  const message = issue ? `Invalid ${param || 'request body'}: ${issue.message}` : 'Invalid request'
  throw new GatewayError(400, message, { param: param || null, code: 'invalid_request' })
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`
    return out ? `${out}.${String(key)}` : String(key)
  }, '')
}
