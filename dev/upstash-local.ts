/**
 * `npm run upstash-local`: a private redis-server, the Upstash Redis REST stand-in and the Vector
 * REST stand-in, with the environment variables to paste into `.dev.vars`. Ctrl-C stops all three.
 *
 *   --redis-port <n>     Redis REST port (env UPSTASH_LOCAL_REDIS_PORT, default 8079)
 *   --vector-port <n>    Vector REST port (env UPSTASH_LOCAL_VECTOR_PORT, default 8078)
 *   --host <addr>        bind address (default 127.0.0.1)
 *   --index <spec>       name:TYPE:dimension:SIMILARITY[:embeddingModel[:sparseModel]], repeatable
 *                        (default: the gateway's hybrid index)
 *   --data-dir <path>    keep Redis and Vector data here across restarts (env UPSTASH_LOCAL_DATA_DIR)
 *   --redis-databases <n>  also serve logical databases 1..n, one token each (the regions of a
 *                        MultiRegionRatelimit); default 0
 *   --redis-token [db=]<t>      fixed token for database db (default 0), repeatable
 *   --vector-token [index=]<t>  fixed token for that index, or bare for every other index, repeatable
 * Tokens not fixed are random.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { onAncestorExit } from './lib/ancestors.ts'
import { spawnRedisServer } from './redis-server.ts'
import { GATEWAY_INDEX } from './stack.ts'
import { redisTokens, vectorTokens } from './upstash-local/tokens.ts'
import { startRedisRest } from './upstash-redis/server.ts'
import { startVectorRest, type VectorIndexSettings } from './upstash-vector/server.ts'

const { values } = parseArgs({
  options: {
    'redis-port': { type: 'string', default: process.env.UPSTASH_LOCAL_REDIS_PORT ?? '8079' },
    'vector-port': { type: 'string', default: process.env.UPSTASH_LOCAL_VECTOR_PORT ?? '8078' },
    host: { type: 'string', default: '127.0.0.1' },
    index: { type: 'string', multiple: true },
    'data-dir': { type: 'string', default: process.env.UPSTASH_LOCAL_DATA_DIR },
    'redis-databases': { type: 'string' },
    'redis-token': { type: 'string', multiple: true },
    'vector-token': { type: 'string', multiple: true },
  },
})

const TYPES = ['DENSE', 'SPARSE', 'HYBRID'] as const
const SIMILARITIES = ['COSINE', 'EUCLIDEAN', 'DOT_PRODUCT'] as const

function parseIndex(spec: string): VectorIndexSettings {
  const [name = '', type = '', dimension = '', similarity = '', embeddingModel, sparseModel] =
    spec.split(':')
  const indexType = TYPES.find((candidate) => candidate === type.toUpperCase())
  const indexSimilarity = SIMILARITIES.find((candidate) => candidate === similarity.toUpperCase())
  if (!name || !indexType || !indexSimilarity || !/^\d+$/.test(dimension)) {
    throw new Error(
      `--index ${spec}: expected name:TYPE:dimension:SIMILARITY[:embeddingModel[:sparseModel]], TYPE one of ${TYPES.join('/')}, SIMILARITY one of ${SIMILARITIES.join('/')}`
    )
  }
  return {
    name,
    type: indexType,
    dimension: Number(dimension),
    similarity: indexSimilarity,
    ...(embeddingModel && { embeddingModel }),
    ...(sparseModel && { sparseModel }),
  }
}

function port(flag: 'redis-port' | 'vector-port'): number {
  const value = Number(values[flag])
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new Error(`--${flag} must be a port number`)
  return value
}

const token = () => randomBytes(24).toString('base64url')

async function main(): Promise<void> {
  const indexes = (values.index ?? []).map(parseIndex)
  if (indexes.length === 0) indexes.push(GATEWAY_INDEX)
  // Checked before anything starts, so a bad flag leaves nothing running.
  const redisPlan = redisTokens(values['redis-token'] ?? [], values['redis-databases'], token)
  const indexTokens = vectorTokens(
    values['vector-token'] ?? [],
    indexes.map((index) => index.name),
    token
  )
  const dataDir = values['data-dir']
  const closers: Array<() => Promise<void>> = []
  const stop = async () => {
    for (const close of closers.reverse()) await close().catch(() => {})
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => stop().then(() => process.exit(0)))
  }
  // Stopped like on Ctrl-C when npm (or whatever started it) goes away without passing a signal on.
  onAncestorExit(() => void stop().then(() => process.exit(0)))
  try {
    const redisServer = await spawnRedisServer({ dataDir })
    closers.push(redisServer.close)
    const redisReadonlyToken = token()
    const redis = await startRedisRest({
      redisPort: redisServer.port,
      port: port('redis-port'),
      host: values.host,
      token: redisPlan.main,
      readonlyToken: redisReadonlyToken,
      databases: redisPlan.databases,
    })
    closers.push(redis.close)
    const withTokens = indexes.map((index) => ({
      ...index,
      token: indexTokens.get(index.name) ?? token(),
    }))
    const vector = await startVectorRest({
      port: port('vector-port'),
      host: values.host,
      indexes: withTokens,
      persistPath: dataDir ? join(dataDir, 'vector.json') : undefined,
    })
    closers.push(vector.close)

    const lines = [
      `UPSTASH_REDIS_REST_URL=${redis.url}`,
      `UPSTASH_REDIS_REST_TOKEN=${redisPlan.main}`,
      `# read-only Redis token: ${redisReadonlyToken}`,
      ...redisPlan.databases.map(
        ({ db, token: dbToken }) => `# Redis database ${db} (same URL, another region): ${dbToken}`
      ),
    ]
    for (const index of withTokens) {
      // A comment line of its own: .dev.vars would read an inline comment as part of the value.
      if (withTokens.length > 1) lines.push(`# index ${index.name} (${index.type})`)
      lines.push(`UPSTASH_VECTOR_REST_URL=${vector.urlFor(index.name)}`)
      lines.push(`UPSTASH_VECTOR_REST_TOKEN=${index.token}`)
    }
    console.log(`Upstash stand-ins are running (Ctrl-C stops them):\n\n${lines.join('\n')}\n`)
  } catch (error) {
    await stop()
    throw error
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
