/**
 * A local OpenAI- and Anthropic-compatible model provider for offline development, tests and
 * benchmarks: deterministic answers, exact wire shapes, per-request behaviour controls (see
 * controls.ts) and a request log tests can query. Plain node:http, no per-request heavy work,
 * because it is the upstream in the gateway's overhead benchmarks.
 */

import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { messages } from './anthropic-messages.ts'
import { type Controls, parseControls } from './controls.ts'
import { deliver, type Exchange, hang, type Reply, sendJson, writeJson } from './deliver.ts'
import type { EndpointInput } from './endpoint.ts'
import { type Dialect, errorBody, injectedMessage } from './errors.ts'
import { chatCompletions } from './openai-chat.ts'
import { embeddings } from './openai-embeddings.ts'
import { moderations } from './openai-moderations.ts'
import { loggableBody, RequestLog } from './request-log.ts'
import { isRecord } from './tools.ts'

export type MockProvider = { url: string; close(): Promise<void> }

type Endpoint = { dialect: Dialect; handle: (input: EndpointInput) => Reply }

const ENDPOINTS: Record<string, Endpoint> = {
  '/v1/chat/completions': { dialect: 'openai', handle: chatCompletions },
  '/v1/embeddings': { dialect: 'openai', handle: embeddings },
  '/v1/moderations': { dialect: 'openai', handle: moderations },
  '/v1/messages': { dialect: 'anthropic', handle: messages },
}

export const MODELS = [
  'mock-chat',
  'mock-embedding',
  'gpt-4o-mini',
  'gpt-4.1-mini',
  'text-embedding-3-small',
  'claude-sonnet-4-5',
  'claude-haiku-4-5',
]

const MAX_BODY_BYTES = 32 * 1024 * 1024
const MAX_FAIL_TAGS = 10_000

export async function startMockProvider(
  options: { port?: number; host?: string } = {}
): Promise<MockProvider> {
  const host = options.host ?? '127.0.0.1'
  const log = new RequestLog()
  /** Requests seen so far per tag for the `fail` control. */
  const failures = new Map<string, number>()

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy()
      else writeJson(res, 500, errorBody('openai', 500, `mock provider bug: ${String(error)}`))
    })
  })
  // Longer than the clients' idle timeouts, so a reused keep-alive socket is never closed under them.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2)
    const endpoint = ENDPOINTS[path]
    if (endpoint && req.method === 'POST') return serve(req, res, path, endpoint)
    if (req.method === 'GET' && path === '/v1/models') {
      return writeJson(res, 200, { object: 'list', data: MODELS.map(modelObject) })
    }
    if (req.method === 'GET' && path.startsWith('/v1/models/')) {
      return writeJson(res, 200, modelObject(decodeURIComponent(path.slice('/v1/models/'.length))))
    }
    if (path === '/_mock/requests' && (req.method === 'GET' || req.method === 'DELETE')) {
      const tag = new URLSearchParams(query).get('tag') ?? undefined
      if (req.method === 'GET') return writeJson(res, 200, { requests: log.list(tag) })
      if (tag === undefined) failures.clear()
      else failures.delete(tag)
      return writeJson(res, 200, { deleted: log.clear(tag) })
    }
    req.resume()
    writeJson(res, 404, errorBody('openai', 404, `Invalid URL (${req.method} ${path})`))
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    endpoint: Endpoint
  ) {
    const entry = log.open(req.method ?? 'POST', path, req.headers)
    const controller = new AbortController()
    res.on('finish', () => {
      if (!entry.cut) entry.completed = true
    })
    res.on('close', () => {
      if (res.writableFinished) return
      if (!entry.cut) entry.disconnected = true
      // Only on a premature close: building the abort reason is measurable in benchmarks.
      controller.abort()
    })
    const exchange: Exchange = { res, entry, signal: controller.signal }
    const { dialect } = endpoint
    const fail = (status: number, message: string, param?: string) =>
      sendJson(exchange, status, errorBody(dialect, status, message, param))

    const raw = await readBody(req)
    if (raw === undefined)
      return fail(413, `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`)
    let body: unknown
    try {
      body = JSON.parse(raw.text)
    } catch {
      return fail(400, 'We could not parse the JSON body of your request.')
    }
    if (!isRecord(body)) return fail(400, 'The request body must be a JSON object.')
    entry.body = loggableBody(body, raw.bytes)
    entry.stream = body.stream === true
    if (typeof body.model !== 'string' || body.model === '') {
      return fail(400, 'you must provide a model parameter', 'model')
    }
    entry.requestedModel = body.model
    if (dialect === 'anthropic' && req.headers['anthropic-version'] === undefined) {
      return fail(400, 'anthropic-version: header is required')
    }
    const parsed = parseControls(body.model, req.headers)
    if (!parsed.ok) return fail(400, `Invalid mock control: ${parsed.error}`, 'model')
    const { controls, model } = parsed
    entry.model = model
    entry.tag = controls.tag ?? null

    const reply = endpoint.handle({ body, model, controls, requestId: requestId() })
    if (reply.kind === 'json' && reply.status !== 200) {
      return sendJson(exchange, reply.status, reply.body, reply.headers)
    }
    if (controls.hang) return hang(exchange.signal)
    const injected = injectedStatus(controls)
    await deliver(exchange, injected ? errorReply(dialect, injected, controls) : reply, controls)
  }

  function injectedStatus(controls: Controls): number | undefined {
    if (controls.fail === undefined || controls.tag === undefined) return controls.status
    const seen = (failures.get(controls.tag) ?? 0) + 1
    if (failures.size >= MAX_FAIL_TAGS && !failures.has(controls.tag)) failures.clear()
    failures.set(controls.tag, seen)
    return seen <= controls.fail ? (controls.status ?? 500) : undefined
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const origin = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${origin}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Hanging and streaming requests would otherwise hold close() open forever.
        server.closeAllConnections()
      }),
  }
}

function errorReply(dialect: Dialect, status: number, controls: Controls): Reply {
  const retryAfter = controls.retryAfter ?? (status === 429 ? 1 : undefined)
  return {
    kind: 'json',
    status,
    body: errorBody(dialect, status, injectedMessage(status)),
    headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
  }
}

function modelObject(id: string) {
  return { id, object: 'model', created: 1_700_000_000, owned_by: 'mock-provider' }
}

/** Unique across restarts without per-request randomness: a process nonce and a counter. */
const ID_NONCE = randomBytes(9).toString('base64url')
let idCounter = 0
function requestId(): string {
  idCounter += 1
  return `${ID_NONCE}${idCounter.toString(36).padStart(6, '0')}`
}

function readBody(req: IncomingMessage): Promise<{ text: string; bytes: number } | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let bytes = 0
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes <= MAX_BODY_BYTES) chunks.push(chunk)
    })
    req.on('end', () =>
      resolve(
        bytes > MAX_BODY_BYTES ? undefined : { text: Buffer.concat(chunks).toString(), bytes }
      )
    )
    req.on('error', reject)
  })
}
