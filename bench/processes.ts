/**
 * Child processes the benchmark starts and stops: the local stack, Portkey's gateway on Node, and
 * the workerd processes Miniflare spawns (found through /proc, to sample their memory).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export type StackAddresses = {
  redis: { url: string; token: string }
  vector: { url: string; token: string }
  mockProviderUrl: string
}

export type Child = { pid: number; close(): Promise<void> }

const NODE = process.execPath
const STACK_CHILD = fileURLToPath(new URL('./stack-child.ts', import.meta.url))
const PORTKEY_SERVER = fileURLToPath(
  new URL('../node_modules/@portkey-ai/gateway/build/start-server.js', import.meta.url)
)

export async function startStackProcess(): Promise<StackAddresses & Child> {
  const child = spawn(NODE, [STACK_CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await firstLine(child)
  return { ...(JSON.parse(line) as StackAddresses), ...handle(child) }
}

export type Portkey = Child & {
  url: string
  /** The end of its stderr, where it logs why a request failed (its responses do not say). */
  stderrTail(): string
}

const STDERR_TAIL_CHARS = 4096

/** Portkey's published Node build, headless (no log console), on a free loopback port. */
export async function startPortkey(): Promise<Portkey> {
  const port = await freePort()
  const child = spawn(NODE, [PORTKEY_SERVER, `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  let tail = ''
  child.stderr?.on('data', (data: Buffer) => {
    tail = (tail + data.toString()).slice(-STDERR_TAIL_CHARS)
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(url, child, () => tail)
  return { url, stderrTail: () => tail, ...handle(child) }
}

/** Resident set size of a process in bytes, from /proc (Linux only). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`)
  return Number(match[1]) * 1024
}

/** workerd processes this process spawned (Miniflare starts one per instance). */
export function workerdChildren(): Set<number> {
  return childProcesses(process.pid, 'workerd')
}

/** Direct children of `parent` whose command name starts with `command`, from /proc. */
export function childProcesses(parent: number, command: string): Set<number> {
  const found = new Set<number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'))
      if (stat.parent === parent && stat.command.startsWith(command)) found.add(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return found
}

/** The fields of /proc/<pid>/stat the benchmark reads (proc(5)), counted from the state field. */
export type ProcStat = { command: string; parent: number; utimeTicks: number; stimeTicks: number }

export function parseStat(stat: string): ProcStat {
  // The command name sits in parentheses and may itself contain spaces or parentheses.
  const close = stat.lastIndexOf(')')
  const fields = stat.slice(close + 2).split(' ')
  return {
    command: stat.slice(stat.indexOf('(') + 1, close),
    parent: Number(fields[1]),
    // Fields 14 and 15 of proc(5), the 12th and 13th after the state: user and system time of
    // every thread of the process (not of its children), in clock ticks.
    utimeTicks: Number(fields[11]),
    stimeTicks: Number(fields[12]),
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function handle(child: ChildProcess): Child {
  const pid = child.pid
  if (pid === undefined) throw new Error('child process did not start')
  return {
    pid,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)))
    child.stdout?.on('data', (data: Buffer) => {
      buffered += data.toString()
      const end = buffered.indexOf('\n')
      if (end !== -1) resolve(buffered.slice(0, end))
    })
  })
}

async function waitForHttp(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url} exited (${child.exitCode}): ${stderr()}`)
    try {
      const response = await fetch(url)
      await response.body?.cancel()
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`${url} did not answer within 30 s: ${stderr()}`)
}
