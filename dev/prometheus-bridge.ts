/**
 * A real Prometheus server for the tests, and the bridge its scrapes cross to reach the gateway.
 * The tests run the Worker inside workerd, where nothing can listen on a port; so Prometheus
 * scrapes this loopback server, which holds each scrape until a test collects it (long poll),
 * sends it to the gateway with Prometheus' own headers (its bearer token included) and posts the
 * gateway's answer back. Prometheus starts on the first test that asks, not with every run.
 *
 *   GET  /metrics              Prometheus' scrape, held until answered (or 503 after 8 s)
 *   POST /bridge/start         {token} -> {prometheusUrl}: starts Prometheus, scraping with token
 *   GET  /bridge/next          -> {id, headers} of the next scrape (204 after 5 s without one)
 *   POST /bridge/answer/<id>   the gateway's status, content-type and body for that scrape
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './lib/ports.ts'

export const PROMETHEUS_BINARY = '/usr/bin/prometheus'
const HOLD_MS = 8_000
const POLL_MS = 5_000

export type PrometheusBridge = { url: string; close(): Promise<void> }

type Scrape = { id: string; headers: Record<string, string>; response: ServerResponse }

export async function startPrometheusBridge(): Promise<PrometheusBridge> {
  const waiting: Scrape[] = []
  const collected = new Map<string, Scrape>()
  const pollers: Array<(scrape: Scrape | undefined) => void> = []
  let prometheus: { child: ChildProcess; url: string; dir: string } | undefined
  let next = 0

  function offer(scrape: Scrape): void {
    const poller = pollers.shift()
    if (poller) poller(scrape)
    else waiting.push(scrape)
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url ?? '/'
    if (request.method === 'GET' && path === '/metrics') {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers[name] = value
      }
      const scrape = { id: String(++next), headers, response }
      offer(scrape)
      setTimeout(() => {
        if (response.writableEnded) return
        collected.delete(scrape.id)
        const index = waiting.indexOf(scrape)
        if (index >= 0) waiting.splice(index, 1)
        response.writeHead(503).end('no test collected this scrape')
      }, HOLD_MS).unref()
      return
    }
    if (request.method === 'POST' && path === '/bridge/start') {
      const { token } = JSON.parse(await readBody(request)) as { token: string }
      prometheus ??= await startPrometheus(addressOf(server), token)
      json(response, 200, { prometheusUrl: prometheus.url })
      return
    }
    if (request.method === 'GET' && path === '/bridge/next') {
      const scrape =
        waiting.shift() ??
        (await new Promise<Scrape | undefined>((resolve) => {
          pollers.push(resolve)
          setTimeout(() => {
            const index = pollers.indexOf(resolve)
            if (index >= 0) pollers.splice(index, 1)
            resolve(undefined)
          }, POLL_MS).unref()
        }))
      if (!scrape || scrape.response.writableEnded) {
        response.writeHead(204).end()
        return
      }
      collected.set(scrape.id, scrape)
      json(response, 200, { id: scrape.id, headers: scrape.headers })
      return
    }
    const answer = /^\/bridge\/answer\/(\d+)$/.exec(path)
    if (request.method === 'POST' && answer) {
      const scrape = collected.get(answer[1] ?? '')
      collected.delete(answer[1] ?? '')
      const body = await readBody(request)
      if (scrape && !scrape.response.writableEnded) {
        const status = Number(request.headers['x-status'] ?? 200)
        const type = request.headers['x-content-type'] ?? 'text/plain'
        scrape.response.writeHead(status, { 'content-type': String(type) }).end(body)
      }
      response.writeHead(scrape ? 204 : 404).end()
      return
    }
    response.writeHead(404).end()
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500)
      response.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://${addressOf(server)}`,
    close: async () => {
      for (const scrape of [...waiting, ...collected.values()]) scrape.response.destroy()
      if (prometheus) {
        await stop(prometheus.child)
        rmSync(prometheus.dir, { recursive: true, force: true })
      }
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function startPrometheus(
  target: string,
  token: string
): Promise<{ child: ChildProcess; url: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  // JSON is YAML: no YAML writer needed.
  const settings = {
    global: { scrape_interval: '1s', scrape_timeout: '1s' },
    scrape_configs: [
      {
        job_name: 'gateway',
        metrics_path: '/metrics',
        authorization: { type: 'Bearer', credentials: token },
        static_configs: [{ targets: [target] }],
      },
    ],
  }
  writeFileSync(config, JSON.stringify(settings))
  const port = await freePort()
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000)
  })
  let failure: string | undefined
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? `${PROMETHEUS_BINARY} not found: install it (Debian: apt-get install prometheus)`
        : String(error)
  })
  child.once('exit', (code) => {
    failure ??= `prometheus exited with ${code}: ${stderr}`
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    if (failure) throw new Error(failure)
    if (await ready(url)) return { child, url, dir }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`prometheus did not become ready: ${stderr}`)
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/-/ready`)).ok
  } catch {
    return false
  }
}

function addressOf(server: Server): string {
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('bridge is not listening')
  return `127.0.0.1:${address.port}`
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.once('end', () => resolve(body))
    request.once('error', reject)
  })
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
