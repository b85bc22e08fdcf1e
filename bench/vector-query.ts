/**
 * Exact top-10 search over 10,000 random 384-dimension vectors in the Vector stand-in: the
 * in-process search alone, then a full round trip through the REST server.
 * Run: node bench/vector-query.ts
 */
import { performance } from 'node:perf_hooks'
import { startVectorRest } from '../dev/upstash-vector/server.ts'
import { VectorIndex } from '../dev/upstash-vector/vector-index.ts'

const VECTORS = 10_000
const DIMENSION = 384
const QUERIES = 200

/** Seeded, so every run measures the same data. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32 - 0.5
  }
}

const next = random(42)
const vector = () => Array.from({ length: DIMENSION }, next)
const records = Array.from({ length: VECTORS }, (_, i) => ({
  id: `v${i}`,
  vector: vector(),
  metadata: { group: i % 4 },
}))
const queries = Array.from({ length: QUERIES }, vector)

function summarise(label: string, samples: number[]): void {
  samples.sort((a, b) => a - b)
  const at = (q: number) => (samples[Math.floor(q * (samples.length - 1))] ?? 0).toFixed(2)
  console.log(
    `${label}: median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (${samples.length} queries)`
  )
}

async function time(run: (query: number[]) => unknown | Promise<unknown>): Promise<number[]> {
  for (const query of queries.slice(0, 20)) await run(query)
  const samples: number[] = []
  for (const query of queries) {
    const start = performance.now()
    await run(query)
    samples.push(performance.now() - start)
  }
  return samples
}

const settings = {
  name: 'bench',
  type: 'DENSE',
  dimension: DIMENSION,
  similarity: 'COSINE',
} as const
const index = new VectorIndex(settings)
for (let i = 0; i < records.length; i += 1000) index.upsert('', records.slice(i, i + 1000), false)
summarise(
  'in-process top-10 (parse + exact scan + select)',
  await time((query) => index.query('', { vector: query, topK: 10 }, false))
)
summarise(
  'in-process top-10 with filter (a quarter match)',
  await time((query) => index.query('', { vector: query, topK: 10, filter: 'group = 1' }, false))
)

const server = await startVectorRest({ indexes: [{ ...settings, token: 'bench' }] })
const url = server.urlFor('bench')
const post = async (path: string, body: unknown) => {
  const response = await fetch(`${url}/${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
  return response.json()
}
for (let i = 0; i < records.length; i += 1000) await post('upsert', records.slice(i, i + 1000))
summarise(
  'HTTP round trip top-10',
  await time((query) => post('query', { vector: query, topK: 10 }))
)
await server.close()
