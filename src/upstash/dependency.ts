/**
 * @module
 * Which dependency a failure came from. The Redis and Vector clients mark every failure of their
 * HTTP transport (unreachable, timed out, an error status) at the one place each sends requests,
 * so the error handler can answer a 503 naming the dependency, whichever of the many call sites
 * the failure escaped from. The error object itself passes on unchanged: code that inspects a
 * Vector reply (`does not exist`, a filter error) still sees the error the client threw.
 */
import { GatewayError } from '../errors'

export type Dependency = 'redis' | 'vector' | 'queue'

const NAMES: Record<Dependency, string> = {
  redis: 'Redis',
  vector: 'the vector index',
  queue: 'the background-work queue',
}

const failed = new WeakMap<object, Dependency>()

/** Marks `error` as `dependency`'s failure and returns it, to be rethrown. */
export function attributeFailure(error: unknown, dependency: Dependency): unknown {
  const marked = typeof error === 'object' && error !== null ? error : new Error(String(error))
  if (!failed.has(marked)) failed.set(marked, dependency)
  return marked
}

/** The dependency `error` (or an error it was caused by) is a failure of. */
export function failedDependency(error: unknown): Dependency | undefined {
  for (let at = error, depth = 0; depth < 5; depth++) {
    if (typeof at !== 'object' || at === null) return undefined
    const dependency = failed.get(at)
    if (dependency) return dependency
    at = at instanceof Error ? at.cause : undefined
  }
  return undefined
}

/**
 * The 503 for a dependency failure, or `undefined` for any other error. `message` says what the
 * outage left undone, where that matters to the caller (a revoke that was not written).
 */
export function dependencyUnavailable(error: unknown, message?: string): GatewayError | undefined {
  const dependency = failedDependency(error)
  if (!dependency) return undefined
  return new GatewayError(
    503,
    message ?? `The gateway cannot reach ${NAMES[dependency]} right now; retry shortly.`,
    {
      type: 'service_unavailable',
      code: `${dependency}_unavailable`,
      headers: { 'retry-after': '1' },
      cause: error,
    }
  )
}
