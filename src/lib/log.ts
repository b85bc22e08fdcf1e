import type { Context } from 'hono'
import type { AppEnv } from '../env'

/**
 * A structured error line for Workers logs, tied to the request id. Used where a failure is
 * survived (background work, degraded paths) or turned into a response: the details stay here,
 * never in what the client sees.
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
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      })
    )
  }
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
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    })
  )
}
