/**
 * @module
 * A breaker per target, local to the isolate: Workers isolates share no memory, so each learns on
 * its own that a target is failing. That is enough to stop hammering a dead upstream, and needs
 * no round trip to a shared store on the hot path.
 */

const FAILURES_TO_OPEN = 5
const OPEN_FOR_MS = 30_000

type BreakerState = { consecutiveFailures: number; openUntil: number }

const states = new Map<string, BreakerState>()

export function isOpen(targetKey: string, now = Date.now()): boolean {
  const state = states.get(targetKey)
  // After the cool-down the breaker is half-open: one request goes through to probe.
  return state !== undefined && state.openUntil > now
}

export function recordSuccess(targetKey: string): void {
  states.delete(targetKey)
}

export function recordFailure(targetKey: string, now = Date.now()): void {
  const state = states.get(targetKey) ?? { consecutiveFailures: 0, openUntil: 0 }
  state.consecutiveFailures += 1
  if (state.consecutiveFailures >= FAILURES_TO_OPEN) state.openUntil = now + OPEN_FOR_MS
  states.set(targetKey, state)
}
