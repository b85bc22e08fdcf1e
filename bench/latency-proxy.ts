/**
 * A delaying, recording HTTP proxy in front of one stand-in (Upstash Redis REST, Vector REST, or
 * the mock provider): every request waits `delayMs` before it is forwarded, which is what a
 * same-region Upstash round trip adds over loopback, and is logged with its start and end on the
 * benchmark's clock, so the benchmark can count which calls sat on a request's critical path.
 * Bodies stream both ways (SSE from the mock arrives frame by frame).
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export type CallKind = 'redis' | 'vector' | 'upstream'

export type ProxiedCall = { kind: CallKind; path: string; startedAt: number; endedAt: number }

/** Every call through every proxy of one setup, on `performance.now()`'s clock. */
export class CallLog {
  readonly calls: ProxiedCall[] = []
  #inFlight = 0
  #lastActivity = 0

  begin(): void {
    this.#inFlight += 1
    this.#lastActivity = performance.now()
  }

  end(call: ProxiedCall): void {
    this.#inFlight -= 1
    this.#lastActivity = performance.now()
    this.calls.push(call)
  }

  /**
   * Resolves once nothing has been in flight for `idleMs`: the work a request left behind (its
   * waitUntil writes) is done, so the next request's count starts clean.
   */
  async quiet(idleMs: number): Promise<void> {
    while (this.#inFlight > 0 || performance.now() - this.#lastActivity < idleMs) await sleep(1)
  }

  /** Calls that started in [from, to). */
  between(from: number, to: number): ProxiedCall[] {
    return this.calls.filter((call) => call.startedAt >= from && call.startedAt < to)
  }
}

export type DelayingProxy = {
  /** The target's URL with the proxy's origin: the same path, so a base URL stays valid. */
  url: string
  close(): Promise<void>
}

export async function startDelayingProxy(
  kind: CallKind,
  targetUrl: string,
  delayMs: number,
  log: CallLog
): Promise<DelayingProxy> {
  const target = new URL(targetUrl)
  // Keep-alive, like the Workers runtime's own connection reuse towards Upstash.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const server = createServer((incoming, outgoing) => {
    forward(kind, target, agent, delayMs, log, incoming, outgoing)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const path = target.pathname === '/' ? '' : target.pathname.replace(/\/$/, '')
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      agent.destroy()
    },
  }
}

function forward(
  kind: CallKind,
  target: URL,
  agent: Agent,
  delayMs: number,
  log: CallLog,
  incoming: IncomingMessage,
  outgoing: ServerResponse
): void {
  const startedAt = performance.now()
  log.begin()
  let logged = false
  const done = () => {
    if (logged) return
    logged = true
    log.end({ kind, path: incoming.url ?? '/', startedAt, endedAt: performance.now() })
  }
  outgoing.once('close', done)
  // The request body is buffered while the delay runs, then sent on: the delay stands for the
  // network's round trip, not for a slower upstream.
  const chunks: Buffer[] = []
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
  incoming.once('end', async () => {
    if (delayMs > 0) await sleep(delayMs)
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
        agent,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      }
    )
    upstream.once('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' })
      outgoing.end(`proxy: ${error.message}`)
    })
    upstream.end(Buffer.concat(chunks))
  })
}

/** What sat before a request's first upstream byte (or its response, for a cache hit). */
export type CriticalPath = {
  redis: number
  vector: number
  /** Sequential stages: calls that overlap count as one wave, one round trip of waiting. */
  waves: number
  /** The same, of the Redis calls alone: how many Redis round trips a request waits for. */
  redisWaves: number
  /** Every Redis and Vector call the request caused, on the path or after the response. */
  totalRedis: number
  totalVector: number
}

export function criticalPath(log: CallLog, startedAt: number, answeredAt: number): CriticalPath {
  const caused = log.between(startedAt, Number.POSITIVE_INFINITY)
  const upstream = caused.find((call) => call.kind === 'upstream')
  const cutoff = Math.min(upstream?.startedAt ?? answeredAt, answeredAt)
  const before = caused
    .filter((call) => call.kind !== 'upstream' && call.startedAt < cutoff)
    .sort((a, b) => a.startedAt - b.startedAt)
  const count = (calls: ProxiedCall[], kind: CallKind) =>
    calls.filter((call) => call.kind === kind).length
  return {
    redis: count(before, 'redis'),
    vector: count(before, 'vector'),
    waves: waves(before),
    redisWaves: waves(before.filter((call) => call.kind === 'redis')),
    totalRedis: count(caused, 'redis'),
    totalVector: count(caused, 'vector'),
  }
}

/** Calls sorted by start, grouped into runs of overlapping intervals. */
function waves(calls: ProxiedCall[]): number {
  let count = 0
  let waveEnd = Number.NEGATIVE_INFINITY
  for (const call of calls) {
    if (call.startedAt >= waveEnd) {
      count += 1
      waveEnd = call.endedAt
    } else waveEnd = Math.max(waveEnd, call.endedAt)
  }
  return count
}
