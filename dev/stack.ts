/**
 * The whole local stack on free loopback ports: a private redis-server, the Upstash Redis REST
 * and Vector REST stand-ins, and the mock provider. `npm start`, `npm run upstash-local`, the
 * test suite's globalSetup and the benchmarks all start it through here.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { startMockProvider } from './mock-provider/server.ts'
import { spawnRedisServer } from './redis-server.ts'
import { startRedisRest } from './upstash-redis/server.ts'
import { startVectorRest, type VectorIndexSettings } from './upstash-vector/server.ts'
import { VECTOR_TEST_INDEXES, type VectorTestIndex } from './upstash-vector/test-indexes.ts'

export type StackOptions = {
  /** Keep Redis and Vector data here across restarts; tests leave it out and start empty. */
  dataDir?: string
  /** Skip the mock provider (npm start does when real provider keys are configured). */
  withMockProvider?: boolean
  /** Also serve the Vector stand-in's test indexes (one per similarity and index type). */
  withVectorTestIndexes?: boolean
  ports?: { redisRest?: number; vector?: number; mockProvider?: number }
}

export type Stack = {
  /** `secondRegionToken` reaches logical DB 1: an independent database for multi-region tests. */
  redis: { url: string; token: string; readonlyToken: string; secondRegionToken: string }
  vector: { url: string; token: string; testIndexes: Record<string, VectorTestIndex> }
  mockProviderUrl: string | undefined
  close(): Promise<void>
}

/**
 * The gateway's index: hybrid, so retrieval can fuse dense and sparse scores, with the stand-in's
 * local embedders in place of Upstash's hosted models.
 */
export const GATEWAY_INDEX: VectorIndexSettings = {
  name: 'gateway',
  type: 'HYBRID',
  dimension: 384,
  similarity: 'COSINE',
  embeddingModel: 'local-hash-384',
  sparseModel: 'local-bm25',
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const closers: Array<() => Promise<void>> = []
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => {})
  }
  try {
    const redisServer = await spawnRedisServer({ dataDir: options.dataDir })
    closers.push(redisServer.close)

    const redisToken = randomBytes(24).toString('base64url')
    const readonlyToken = randomBytes(24).toString('base64url')
    const secondRegionToken = randomBytes(24).toString('base64url')
    const redisRest = await startRedisRest({
      redisPort: redisServer.port,
      port: options.ports?.redisRest ?? 0,
      token: redisToken,
      readonlyToken,
      databases: [{ token: secondRegionToken, db: 1 }],
    })
    closers.push(redisRest.close)

    const vectorToken = randomBytes(24).toString('base64url')
    const testIndexes = (options.withVectorTestIndexes ? VECTOR_TEST_INDEXES : []).map((index) => ({
      ...index,
      token: randomBytes(24).toString('base64url'),
      readonlyToken: randomBytes(24).toString('base64url'),
    }))
    const vector = await startVectorRest({
      port: options.ports?.vector ?? 0,
      indexes: [{ ...GATEWAY_INDEX, token: vectorToken }, ...testIndexes],
      persistPath: options.dataDir ? join(options.dataDir, 'vector.json') : undefined,
    })
    closers.push(vector.close)
    const gatewayIndexUrl = vector.urlFor(GATEWAY_INDEX.name)

    let mockProviderUrl: string | undefined
    if (options.withMockProvider !== false) {
      const mock = await startMockProvider({ port: options.ports?.mockProvider ?? 0 })
      closers.push(mock.close)
      mockProviderUrl = mock.url
    }

    return {
      redis: { url: redisRest.url, token: redisToken, readonlyToken, secondRegionToken },
      vector: {
        url: gatewayIndexUrl,
        token: vectorToken,
        testIndexes: Object.fromEntries(
          testIndexes.map(({ name, token, readonlyToken }) => [
            name,
            { url: vector.urlFor(name), token, readonlyToken },
          ])
        ),
      },
      mockProviderUrl,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
