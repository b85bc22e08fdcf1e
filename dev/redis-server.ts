/**
 * Spawns a private `redis-server` on a free loopback port. Persistence is off unless a data
 * folder is given (npm start keeps its data across restarts; tests start empty).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createConnection } from 'node:net'
import { freePort } from './lib/ports.ts'

export type RedisServer = { port: number; close(): Promise<void> }

export const REDIS_INSTALL_HINT =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) and try again.'

export async function spawnRedisServer(options: { dataDir?: string } = {}): Promise<RedisServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true })
      args.push('--dir', options.dataDir, '--save', '60 1', '--dbfilename', 'redis.rdb')
    }
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    const started = await waitUntilServing(child, port)
    if (started === 'missing') throw new Error(REDIS_INSTALL_HINT)
    if (started === 'ready') return { port, close: () => stop(child) }
  }
  throw new Error('redis-server did not start on any of five free ports')
}

async function waitUntilServing(
  child: ChildProcess,
  port: number
): Promise<'ready' | 'missing' | 'failed'> {
  let exited: 'missing' | 'failed' | undefined
  child.once('error', (err: NodeJS.ErrnoException) => {
    exited = err.code === 'ENOENT' ? 'missing' : 'failed'
  })
  child.once('exit', () => {
    exited ??= 'failed'
  })
  for (let i = 0; i < 100; i++) {
    if (exited) return exited
    if (await answersPing(port)) return 'ready'
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGKILL')
  return 'failed'
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('error', () => resolve(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
  })
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
