/**
 * A local stand-in for the Upstash Vector REST API. One process serves several indexes, each under
 * its own path prefix (`http://host:port/<indexName>`) with its own token and settings.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { VectorError } from './errors.ts'

export type VectorIndexSettings = {
  name: string
  type: 'DENSE' | 'SPARSE' | 'HYBRID'
  dimension: number
  similarity: 'COSINE' | 'EUCLIDEAN' | 'DOT_PRODUCT'
  embeddingModel?: string
  sparseModel?: string
  fusion?: 'RRF' | 'DBSF'
}

export type VectorRestOptions = {
  port?: number
  host?: string
  indexes: Array<VectorIndexSettings & { token: string; readonlyToken?: string }>
  persistPath?: string
}

export async function startVectorRest(
  options: VectorRestOptions
): Promise<{ urlFor(indexName: string): string; close(): Promise<void> }> {
  const names = new Set(options.indexes.map((index) => index.name))
  const server = createServer((req, res) => {
    const error = new VectorError(501, `${req.url ?? ''} is not implemented yet`)
    res.writeHead(error.status, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: error.message, status: error.status }))
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve))
  const { port } = server.address() as AddressInfo
  return {
    urlFor(indexName) {
      if (!names.has(indexName)) throw new Error(`no index named ${indexName}`)
      return `http://${host}:${port}/${encodeURIComponent(indexName)}`
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
