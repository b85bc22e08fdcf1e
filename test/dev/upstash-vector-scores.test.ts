/**
 * Numbers as Upstash Vector returns them: float32 storage and scores printed as the shortest
 * decimal that reads back as the same float32, and hybrid fusion as its docs define it
 * (vector/features/hybridindexes: RRF `1 / (rank + 60)`, DBSF `(s - (μ - 3σ)) / (6σ)`).
 * Expected digits are what a shortest-float32 printer (NumPy's, Go's, Rust's) prints.
 */
import { describe, expect, it } from 'vitest'
import { shortestFloat32 } from '../../dev/upstash-vector/float32.ts'
import { freshNamespace, testIndex } from './upstash-vector-helpers'

describe('shortestFloat32', () => {
  it('prints the shortest decimal that reads back as the same float32', () => {
    const cases: Array<[number, number]> = [
      [0.1, 0.1],
      [0.02860843762755394, 0.028608438],
      [1 / 3, 0.33333334],
      [16777217, 16777216],
      [3.4028234663852886e38, 3.4028235e38],
      [1.401298464324817e-45, 1e-45],
      [2 ** -130, 7.34684e-40],
      // Exact ties between two shortest candidates go to the even digit.
      [2 ** -12, 0.00024414062],
      [-7387.15625, -7387.1562],
      [0, 0],
    ]
    for (const [value, printed] of cases) expect(shortestFloat32(value)).toBe(printed)
  })

  it('always reads back as the float32 it was given, and never longer than nine digits', () => {
    const bits = new Uint32Array(1)
    const view = new Float32Array(bits.buffer)
    for (let i = 0; i < 20_000; i++) {
      bits[0] = Math.imul(i, 2654435761) >>> 0
      const single = view[0] ?? 0
      if (!Number.isFinite(single)) continue
      const printed = shortestFloat32(single)
      expect(Math.fround(printed)).toBe(single)
      expect(printed.toExponential().split('e')[0]?.replace(/[-.]/g, '').length).toBeLessThan(10)
    }
  })
})

describe('Vector stand-in numbers on the wire', () => {
  it('returns stored dense and sparse values and scores with float32 digits', async () => {
    const dense = testIndex('test-cosine').namespace(freshNamespace('digits'))
    await dense.upsert({ id: 'v', vector: [0.1, 0.2, 0.3] })
    expect(await dense.fetch(['v'], { includeVectors: true })).toEqual([
      { id: 'v', vector: [0.1, 0.2, 0.3] },
    ])
    const sparse = testIndex('test-sparse').namespace(freshNamespace('digits'))
    await sparse.upsert({ id: 's', sparseVector: { indices: [1, 2], values: [0.1, 0.2] } })
    const results = await sparse.query({
      sparseVector: { indices: [1, 2], values: [0.3, 0.7] },
      topK: 1,
      includeVectors: true,
    })
    // 0.1 × 0.3 + 0.2 × 0.7 in float32 is 0.17 exactly as float32 prints it.
    expect(results).toEqual([
      { id: 's', score: 0.17, sparseVector: { indices: [1, 2], values: [0.1, 0.2] } },
    ])
  })

  it('accepts a sparse vector with a repeated index and sums the repeats', async () => {
    const ns = testIndex('test-sparse').namespace(freshNamespace('repeats'))
    await ns.upsert({ id: 'r', sparseVector: { indices: [3, 1, 3], values: [0.25, 1, 0.5] } })
    expect(await ns.fetch(['r'], { includeVectors: true })).toEqual([
      { id: 'r', sparseVector: { indices: [1, 3], values: [1, 0.75] } },
    ])
    const results = await ns.query({
      sparseVector: { indices: [3, 3], values: [1, 1] },
      topK: 1,
    })
    expect(results).toEqual([{ id: 'r', score: 1.5 }])
  })
})

describe('Vector stand-in hybrid fusion', () => {
  const hybrid = testIndex('test-hybrid')

  /** Dense scores against [1, 0] are 1, 0.8, 0.5 and 0; sparse ones against {5: 1} 1, 0.5, 0.25, 2. */
  async function fourRecords() {
    const ns = hybrid.namespace(freshNamespace('fusion'))
    await ns.upsert([
      { id: 'a', vector: [1, 0], sparseVector: { indices: [5], values: [1] } },
      { id: 'b', vector: [0.6, 0.8], sparseVector: { indices: [5], values: [0.5] } },
      { id: 'c', vector: [0, 1], sparseVector: { indices: [5], values: [0.25] } },
      { id: 'd', vector: [-1, 0], sparseVector: { indices: [5], values: [2] } },
    ])
    return ns
  }
  const query = { vector: [1, 0], sparseVector: { indices: [5], values: [1] } }

  it('RRF counts rank from 0, so first in both lists scores 2/60', async () => {
    const ns = hybrid.namespace(freshNamespace('rrf'))
    await ns.upsert([
      { id: 'x', vector: [1, 0], sparseVector: { indices: [1], values: [1] } },
      { id: 'y', vector: [0, 1], sparseVector: { indices: [2], values: [1] } },
    ])
    const results = await ns.query({
      vector: [1, 0],
      sparseVector: { indices: [1], values: [1] },
      topK: 2,
    })
    // x: 1/60 + 1/60; y is second in the dense list only: 1/61.
    expect(results).toEqual([
      { id: 'x', score: 0.033333335 },
      { id: 'y', score: 0.016393442 },
    ])
  })

  it('DBSF cuts each list to topK and scales by the sample standard deviation', async () => {
    const ns = await fourRecords()
    const results = await ns.query({ ...query, topK: 2, fusionAlgorithm: 'DBSF' as never })
    // Dense top 2: a 1, b 0.8; sparse top 2: d 2, a 1 (b and c are cut before fusing).
    const dense = normalised([1, 0.8])
    const sparse = normalised([2, 1])
    expect(results.map((r) => r.id)).toEqual(['a', 'd'])
    expect(results[0]?.score).toBeCloseTo((dense[0] ?? 0) + (sparse[1] ?? 0), 6)
    expect(results[1]?.score).toBeCloseTo(sparse[0] ?? 0, 6)
  })

  it('DBSF scores a list of one entry, or with no spread, at 0.5', async () => {
    const ns = await fourRecords()
    const single = await ns.query({ ...query, topK: 1, fusionAlgorithm: 'DBSF' as never })
    // Dense keeps a, sparse keeps d: one entry each, 0.5 apiece; a ranks first on the tie.
    expect(single).toEqual([{ id: 'a', score: 0.5 }])
    const flat = hybrid.namespace(freshNamespace('flat'))
    await flat.upsert([
      { id: 'p', vector: [1, 0], sparseVector: { indices: [5], values: [1] } },
      { id: 'q', vector: [1, 0], sparseVector: { indices: [5], values: [1] } },
    ])
    const tied = await flat.query({ ...query, topK: 2, fusionAlgorithm: 'DBSF' as never })
    expect(tied).toEqual([
      { id: 'p', score: 1 },
      { id: 'q', score: 1 },
    ])
  })
})

/** The documented DBSF normalisation, with the sample standard deviation. */
function normalised(scores: number[]): number[] {
  const mean = scores.reduce((sum, s) => sum + s, 0) / scores.length
  const variance = scores.reduce((sum, s) => sum + (s - mean) ** 2, 0) / (scores.length - 1)
  const sigma = Math.sqrt(variance)
  return scores.map((s) => (s - (mean - 3 * sigma)) / (6 * sigma))
}
