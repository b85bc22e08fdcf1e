/**
 * A local stand-in for the Upstash Vector REST API. One process serves several indexes, each under
 * its own path prefix (`http://host:port/<indexName>`, the URL the SDK is given) with its own
 * token and settings. Requests look like `POST /<index>/<endpoint>[/<namespace>]`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bearerToken, tokenMatches } from './auth.ts'
import { badRequest, VectorError } from './errors.ts'
import { createSaver, loadIndexes } from './persistence.ts'
import { ResumableQueries } from './resumable.ts'
import { ROUTES } from './routes.ts'
import { VectorIndex } from './vector-index.ts'

export type VectorIndexSettings = {
  name: string
  type: 'DENSE' | 'SPARSE' | 'HYBRID'
  dimension: number
  similarity: 'COSINE' | 'EUCLIDEAN' | 'DOT_PRODUCT'
  embeddingModel?: string
  sparseModel?: string
  fusion?: 'RRF' | 'DBSF'
}

export type HostedIndexSettings = VectorIndexSettings & { token: string; readonlyToken?: string }

export type VectorRestOptions = {
  port?: number
  host?: string
  indexes: HostedIndexSettings[]
  persistPath?: string
}

type HostedIndex = {
  index: VectorIndex
  resumable: ResumableQueries
  token: string
  readonlyToken?: string
}

/** Upserting 1000 vectors of 3072 dimensions as JSON stays well under this. */
const MAX_BODY_BYTES = 64 * 1024 * 1024
const ALLOWED_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE'])

export async function startVectorRest(
  options: VectorRestOptions
): Promise<{ urlFor(indexName: string): string; close(): Promise<void> }> {
  const hosted = new Map<string, HostedIndex>()
  for (const { token, readonlyToken, ...settings } of options.indexes) {
    validateSettings(settings)
    if (hosted.has(settings.name)) throw new Error(`index ${settings.name} is configured twice`)
    const index = new VectorIndex(settings)
    hosted.set(settings.name, { index, resumable: new ResumableQueries(), token, readonlyToken })
  }
  const indexes = [...hosted.values()].map((entry) => entry.index)
  const saver = options.persistPath ? createSaver(options.persistPath, indexes) : undefined
  if (options.persistPath) loadIndexes(options.persistPath, indexes)

  const server = createServer((req, res) => {
    handle(req, hosted, saver?.changed).then(
      ({ status, body }) => send(res, status, body),
      (error: unknown) => send(res, ...errorBody(error))
    )
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  return {
    urlFor(indexName) {
      if (!hosted.has(indexName)) throw new Error(`no index named ${indexName}`)
      return `${origin}/${encodeURIComponent(indexName)}`
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      for (const entry of hosted.values()) entry.resumable.close()
      saver?.flush()
    },
  }
}

async function handle(
  req: IncomingMessage,
  hosted: Map<string, HostedIndex>,
  changed: (() => void) | undefined
): Promise<{ status: number; body: unknown }> {
  const url = new URL(req.url ?? '/', 'http://stand-in')
  const [indexName = '', endpoint = '', ...rest] = url.pathname
    .split('/')
    .slice(1)
    .map((segment) => decodeSegment(segment))
  const entry = hosted.get(indexName)
  if (!entry) throw new VectorError(404, `Index ${indexName || '(none)'} not found on this server`)
  const presented = bearerToken(req.headers.authorization)
  const readonly = entry.readonlyToken !== undefined && tokenMatches(presented, entry.readonlyToken)
  if (!readonly && !tokenMatches(presented, entry.token)) {
    throw new VectorError(401, 'Unauthorized: Invalid auth token')
  }
  const route = ROUTES[endpoint]
  if (!route) throw new VectorError(404, `Unknown endpoint: ${endpoint || '(none)'}`)
  if (!ALLOWED_METHODS.has(req.method ?? '')) {
    throw new VectorError(405, `Method ${req.method} is not allowed`)
  }
  if (route.writes && readonly) {
    throw new VectorError(403, `Forbidden: the read-only token cannot call ${endpoint}`)
  }
  const body = await readJson(req)
  const result = route.run({
    index: entry.index,
    resumable: entry.resumable,
    // The SDK does not encode namespaces, so one may span several path segments.
    namespace: rest.join('/'),
    body,
    all: url.searchParams.has('all'),
  })
  if (route.writes) changed?.()
  return { status: 200, body: { result } }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badRequest(`malformed percent-encoding in path segment ${segment}`)
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_BODY_BYTES)
      throw new VectorError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`)
    chunks.push(buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch (error) {
    throw badRequest(`Invalid JSON body: ${(error as Error).message}`)
  }
}

function errorBody(error: unknown): [number, unknown] {
  if (error instanceof VectorError)
    return [error.status, { error: error.message, status: error.status }]
  console.error('vector stand-in: unexpected failure', error)
  const message = error instanceof Error ? error.message : String(error)
  return [500, { error: `Internal error: ${message}`, status: 500 }]
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  })
  res.end(json)
}

function validateSettings(settings: VectorIndexSettings): void {
  const { name, type, dimension } = settings
  if (!/^[\w.-]+$/.test(name))
    throw new Error(`index name ${name} must be letters, digits, _ . or -`)
  if (type !== 'SPARSE' && (!Number.isInteger(dimension) || dimension < 1)) {
    throw new Error(`index ${name}: dimension must be a positive integer`)
  }
}
