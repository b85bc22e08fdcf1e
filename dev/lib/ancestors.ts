import { execFileSync } from 'node:child_process'

/**
 * Calls `onGone` once any process above this one exits. `npm start` runs a script under
 * `sh -c`, and a signal sent to npm alone (SIGHUP, or SIGTERM where npm does not pass it on)
 * ends npm but leaves the shell and the script running, re-parented to nobody who will stop
 * them. Watching the whole chain, not only the parent, catches that.
 */
export function onAncestorExit(onGone: () => void, intervalMs = 500): void {
  const chain = ancestors()
  const timer = setInterval(() => {
    if (chain.some((pid) => !isAlive(pid))) {
      clearInterval(timer)
      onGone()
    }
  }, intervalMs)
  timer.unref()
}

function ancestors(): number[] {
  const chain: number[] = []
  let pid = process.ppid
  // pid 1 (init) outlives everything; stop there, and at a chain of implausible length.
  while (pid > 1 && chain.length < 32) {
    chain.push(pid)
    const parent = parentOf(pid)
    if (parent === undefined) break
    pid = parent
  }
  return chain
}

function parentOf(pid: number): number | undefined {
  try {
    // `ps` answers the same on Linux and macOS; without it only the direct parent is watched.
    const out = execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' })
    const parent = Number(out.trim())
    return Number.isInteger(parent) && parent > 0 ? parent : undefined
  } catch {
    return undefined
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, but another user's.
    return error instanceof Error && 'code' in error && error.code === 'EPERM'
  }
}
