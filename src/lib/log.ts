import type { Context } from 'hono'
import type { AppEnv } from '../env'

/**
 * A structured error line for Workers logs, tied to the request id. Used where a failure is
 * survived (background work, degraded paths) or turned into a response: the details stay here,
 * never in what the client sees.
 */
export function logFailure(
  c: Context<AppEnv>,
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
