/**
 * Sends a planned reply with the timing controls applied: wait `ttft`, pace chunks by `delay`,
 * cut after `cut` chunks. Every wait ends early when the client goes away.
 */
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Controls } from './controls.ts'
import type { RequestLogEntry } from './request-log.ts'
import { SSE_HEADERS } from './sse.ts'

export type Exchange = {
  res: ServerResponse
  entry: RequestLogEntry
  /** Aborts when the connection closes. */
  signal: AbortSignal
}

export type Reply =
  | {
      kind: 'json'
      status: number
      body: unknown
      headers?: Record<string, string>
      /** Tokens generated, so `delay` can stand for generation time before the body. */
      tokens?: number
    }
  | {
      kind: 'stream'
      /** Frames before the first content chunk (role chunk, message_start...). */
      head: string
      /** One entry per token step; `cut` and `delay` count these. */
      steps: string[]
      /** Frames after the content (finish chunk, usage, [DONE]...). */
      tail: string
      /** Sent before ending when cut; without it the socket is destroyed mid-stream. */
      cutFrame?: string
    }

export async function deliver(exchange: Exchange, reply: Reply, controls: Controls): Promise<void> {
  if (!(await pause(controls.ttft, exchange.signal))) return
  if (reply.kind === 'json') {
    const generation = controls.delay * (reply.tokens ?? 0)
    if (!(await pause(generation, exchange.signal))) return
    if (controls.cut !== undefined) return cut(exchange)
    return sendJson(exchange, reply.status, reply.body, reply.headers)
  }
  const { res, entry } = exchange
  res.writeHead(200, SSE_HEADERS)
  entry.status = 200
  if (controls.delay === 0 && controls.cut === undefined) {
    res.end(reply.head + reply.steps.join('') + reply.tail)
    return
  }
  const cutAt = controls.cut === undefined ? undefined : Math.min(controls.cut, reply.steps.length)
  await flushed(res, reply.head)
  for (let i = 0; i <= reply.steps.length; i++) {
    if (i === cutAt) return cut(exchange, reply.cutFrame)
    const step = reply.steps[i]
    if (step === undefined) break
    if (i > 0 && !(await pause(controls.delay, exchange.signal))) return
    if (res.destroyed) return
    await flushed(res, step)
  }
  res.end(reply.tail)
}

/** Holds the request open until the client (or the server shutting down) closes it. */
export function hang(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

export function sendJson(
  exchange: Exchange,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  exchange.entry.status = status
  writeJson(exchange.res, status, body, headers)
}

export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  })
  res.end(payload)
}

async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false
  if (ms <= 0) return true
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}

/** Resolves once the chunk reached the socket, so a cut right after it still delivers it. */
function flushed(res: ServerResponse, chunk: string): Promise<void> {
  if (chunk === '' || res.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    // A destroyed socket may never call back, so a close also resolves; the listener goes once
    // the write lands, or a long stream would pile up one per chunk (MaxListenersExceededWarning).
    const done = () => {
      res.off('close', done)
      resolve()
    }
    res.once('close', done)
    res.write(chunk, done)
  })
}

function cut(exchange: Exchange, cutFrame?: string): void {
  exchange.entry.cut = true
  if (cutFrame !== undefined) exchange.res.end(cutFrame)
  else exchange.res.destroy()
}
