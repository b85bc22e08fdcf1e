/**
 * `npm start` as a user runs it: a busy port is reported before anything starts; SIGTERM and
 * SIGHUP (IDE stop buttons, process managers, a closed terminal) sent to npm stop every process
 * it started and free every port; an old Node is replaced by Node 22 from .tools/.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, portIsFree } from '../../../dev/lib/ports.ts'

const started: ChildProcess[] = []
const dataDirs: string[] = []

afterEach(() => {
  // Only if a test failed half-way: each child runs in its own process group.
  for (const child of started.splice(0)) {
    if (child.pid && child.exitCode === null) killGroup(child.pid)
  }
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

function npmStart(port: number): { child: ChildProcess; output: () => string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-start-'))
  dataDirs.push(dataDir)
  const child = spawn('npm', ['start'], {
    env: { ...process.env, PORT: String(port), DEV_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  started.push(child)
  let output = ''
  child.stdout?.on('data', (data: Buffer) => {
    output += data
  })
  child.stderr?.on('data', (data: Buffer) => {
    output += data
  })
  return { child, output: () => output }
}

async function until(check: () => boolean, what: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Every process below `root`, read from /proc: what must be gone afterwards. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(Number(entry), ppid)
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = []
  const visit = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child)
        visit(child)
      }
    }
  }
  visit(root)
  return found
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')

describe('npm start (the front door)', () => {
  it('reports a busy port before starting anything', async () => {
    const port = await freePort()
    const squatter = createServer().listen(port, '127.0.0.1')
    try {
      const { child, output } = npmStart(port)
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
      expect(code).toBe(1)
      expect(output()).toContain(`port ${port} is in use; set PORT`)
      expect(output()).not.toContain('Upstash')
    } finally {
      squatter.close()
    }
  })

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`stops every child and frees the port on ${signal} to npm`, async () => {
      const port = await freePort()
      const { child, output } = npmStart(port)
      await until(() => output().includes('Gateway ready'), 'the gateway to start')
      const pid = child.pid ?? 0
      const tree = descendants(pid)
      expect(tree.length).toBeGreaterThan(3)
      // No secret on any command line `ps` shows.
      const adminToken = /admin token:\s+(\S+)/.exec(output())?.[1] ?? 'missing'
      for (const each of tree) {
        const cmdline = existsSync(`/proc/${each}/cmdline`)
          ? readFileSync(`/proc/${each}/cmdline`, 'utf8')
          : ''
        expect(cmdline).not.toContain(adminToken)
      }
      process.kill(pid, signal)
      await until(
        () => tree.every((each) => !alive(each)),
        `every child to exit (${tree.join(', ')})`,
        20_000
      )
      expect(await portIsFree(port)).toBe(true)
    })
  }

  // Only where an older system Node and the .tools/ Node 22 both exist; reported as skipped
  // elsewhere rather than passing without a check.
  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((node) => {
    if (!existsSync(node)) return false
    return Number(execFileSync(node, ['-p', 'process.versions.node.split(".")[0]']).toString()) < 22
  })
  const canRun = oldNode !== undefined && existsSync('.tools/node_modules/.bin/node')
  it.skipIf(!canRun)(
    'runs a script with Node 22 from .tools/ when the Node in use is older',
    () => {
      const old = oldNode ?? ''
      const result = spawnSyncText(old, [
        'dev/node22.mjs',
        'test/node/dev/fixtures/print-version.ts',
        'a',
        'b',
      ])
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^Node v\d+\.\S+ is older than 22\.18: running with Node 22 from \.tools\/\.$/
        ),
      ])
      const printed = JSON.parse(result.stdout)
      expect(printed.version).toMatch(/^v22\./)
      expect(printed.args).toEqual(['a', 'b'])
    }
  )
})

function spawnSyncText(command: string, args: string[]): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
  return { stdout: result.stdout, stderr: result.stderr }
}
