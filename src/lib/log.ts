import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { GatewayError } from '../errors'

/**
 * A structured error line for Workers logs, tied to the request id. Used where a failure is
 * survived (background work, degraded paths) or turned into a response: the details stay here,
 * never in what the client sees. What failed is `what` (the operation) and the error's class;
 * error messages are logged only where their text is known to carry no request data.
 */
export function logFailure<E extends AppEnv>(
  c: Context<E>,
  what: string,
  extra: Record<string, unknown> = {}
): (error: unknown) => void {
  return (error) => {
    console.error(
      JSON.stringify({
        level: 'error',
        requestId: c.get('requestId'),
        what,
        ...extra,
        ...describeError(error),
      })
    )
  }
}

/** Longer details are cut: a reply that long is not an error message any more. */
const MAX_DETAIL = 200

/** Runtime failures of fetch and timers, whose messages say what broke, not what was sent. */
const TRANSPORT_ERRORS = new Set(['TypeError', 'TimeoutError', 'AbortError'])

/**
 * The error's class and, when safe, its message. Upstash's client appends every command's
 * arguments to its messages (`..., command was: ["get","gw:secret:<digest>"]`), which are key
 * digests and whole tenant records; other messages (JSON.parse's, a library's) may quote the
 * data they choked on. Those show their class alone.
 */
export function describeError(error: unknown): { error: string; detail?: string } {
  if (!(error instanceof Error)) return { error: typeof error }
  if (error instanceof GatewayError) {
    return { error: error.name, detail: `${error.code ?? error.status}: ${error.message}` }
  }
  if (error.name === 'UpstashError') {
    const reply = error.message.split(', command was:')[0] ?? ''
    return { error: error.name, detail: reply.slice(0, MAX_DETAIL) }
  }
  if (TRANSPORT_ERRORS.has(error.name)) {
    return { error: error.name, detail: error.message.slice(0, MAX_DETAIL) }
  }
  return { error: error.name }
}

/** The same line for failures outside any one request (isolate-wide background work). */
export function reportFailure(
  what: string,
  error: unknown,
  detail: Record<string, number> = {}
): void {
  console.error(
    JSON.stringify({
      level: 'error',
      what,
      ...detail,
      ...describeError(error),
    })
  )
}

/** An info line tied to the request id, for outcomes worth keeping; callers pass no content. */
export function logEvent<E extends AppEnv>(
  c: Context<E>,
  what: string,
  fields: Record<string, unknown>
): void {
  console.log(JSON.stringify({ level: 'info', requestId: c.get('requestId'), what, ...fields }))
}
