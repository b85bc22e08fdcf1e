import { describe, expect, it } from 'vitest'
import { freshNamespace, testIndex } from './upstash-vector-helpers'

const cosine = testIndex('test-cosine')

describe('Vector stand-in through @upstash/vector: records', () => {
  it('upserts, fetches by id and prefix, returning only the requested fields', async () => {
    const namespace = freshNamespace('records')
    const ns = cosine.namespace(namespace)
    await ns.upsert([
      { id: 33, vector: [1, 0, 0], metadata: { kind: 'a' } },
      { id: 'doc-1', vector: [0, 1, 0] },
    ])
    expect(await ns.fetch([33, 34])).toEqual([{ id: '33' }, null])
    expect(await ns.fetch(['missing', 'doc-1'])).toEqual([null, { id: 'doc-1' }])
    const [full] = await ns.fetch(['33'], {
      includeVectors: true,
      includeMetadata: true,
      includeData: true,
    })
    expect(full).toEqual({
      id: '33',
      vector: [1, 0, 0],
      metadata: { kind: 'a' },
    })
    expect(await ns.fetch({ prefix: 'doc-' })).toEqual([{ id: 'doc-1' }])
  })

  it('replaces the whole record on upsert and updates fields with OVERWRITE and PATCH', async () => {
    const ns = cosine.namespace(freshNamespace('update'))
    await ns.upsert({ id: 'r', vector: [1, 0, 0], metadata: { a: 1, nested: { x: 1, y: 2 } } })
    expect(
      await ns.update({
        id: 'r',
        metadata: { nested: { x: null, z: 3 }, b: 2 },
        metadataUpdateMode: 'PATCH',
      })
    ).toEqual({ updated: 1 })
    let [record] = await ns.fetch(['r'], { includeMetadata: true, includeVectors: true })
    expect(record).toEqual({
      id: 'r',
      vector: [1, 0, 0],
      metadata: { a: 1, b: 2, nested: { y: 2, z: 3 } },
    })
    await ns.update({ id: 'r', vector: [0, 0, 1], metadata: { only: true } })
    ;[record] = await ns.fetch(['r'], { includeMetadata: true, includeVectors: true })
    expect(record).toEqual({ id: 'r', vector: [0, 0, 1], metadata: { only: true } })
    expect(await ns.update({ id: 'nobody', metadata: { a: 1 } })).toEqual({ updated: 0 })
    await ns.upsert({ id: 'r', vector: [0, 1, 0] })
    ;[record] = await ns.fetch(['r'], { includeMetadata: true })
    expect(record).toEqual({ id: 'r' })
  })

  it('pages through range with cursors, with and without a prefix', async () => {
    const ns = cosine.namespace(freshNamespace('range'))
    await ns.upsert(
      Array.from({ length: 5 }, (_, i) => ({ id: `p-${i}`, vector: [1, i, 0], metadata: { i } }))
    )
    await ns.upsert({ id: 'other', vector: [0, 0, 1] })
    const first = await ns.range({ cursor: 0, limit: 4, includeMetadata: true })
    expect(first.vectors.map((v) => v.id)).toEqual(['p-0', 'p-1', 'p-2', 'p-3'])
    expect(first.vectors[1]).toEqual({ id: 'p-1', metadata: { i: 1 } })
    const second = await ns.range({ cursor: first.nextCursor, limit: 4 })
    expect(second).toEqual({ nextCursor: '', vectors: [{ id: 'p-4' }, { id: 'other' }] })
    const prefixed = await ns.range({ cursor: '', limit: 10, prefix: 'p-' })
    expect(prefixed.vectors).toHaveLength(5)
    expect(prefixed.nextCursor).toBe('')
  })

  it('deletes by id, prefix and filter, counting what went', async () => {
    const ns = cosine.namespace(freshNamespace('delete'))
    await ns.upsert(
      ['a-1', 'a-2', 'b-1', 'b-2', 'c-1'].map((id, i) => ({
        id,
        vector: [1, 0, i],
        metadata: { i },
      }))
    )
    expect(await ns.delete('a-1')).toEqual({ deleted: 1 })
    expect(await ns.delete(['a-2', 'a-2', 'zzz'])).toEqual({ deleted: 1 })
    expect(await ns.delete({ prefix: 'b-' })).toEqual({ deleted: 2 })
    expect(await ns.delete({ filter: 'i >= 4' })).toEqual({ deleted: 1 })
    expect(await ns.range({ cursor: 0, limit: 10 })).toEqual({ nextCursor: '', vectors: [] })
  })
})

describe('Vector stand-in through @upstash/vector: queries', () => {
  it('scores identical vectors 1 under COSINE and follows (1 + cos) / 2', async () => {
    const ns = cosine.namespace(freshNamespace('cosine'))
    await ns.upsert([
      { id: 'same', vector: [0.1, 0.2, 0.3] },
      { id: 'orthogonal', vector: [0, 0, 0] },
      { id: 'opposite', vector: [-0.1, -0.2, -0.3] },
      { id: 'angled', vector: [1, 0, 0] },
    ])
    const results = await ns.query({ vector: [0.1, 0.2, 0.3], topK: 10, includeVectors: true })
    expect(results[0]).toEqual({
      id: 'same',
      score: 1,
      vector: [0.1, 0.2, 0.3],
    })
    const cos = 0.1 / Math.sqrt(0.14)
    expect(results.map((r) => r.id)).toEqual(['same', 'angled', 'orthogonal', 'opposite'])
    expect(results[1]?.score).toBeCloseTo((1 + cos) / 2, 6)
    expect(results[2]?.score).toBe(0.5)
    expect(results[3]?.score).toBeCloseTo(0, 6)
  })

  it('follows 1 / (1 + squared distance) under EUCLIDEAN', async () => {
    const ns = testIndex('test-euclidean').namespace(freshNamespace('euclid'))
    await ns.upsert([
      { id: 'near', vector: [1, 1] },
      { id: 'far', vector: [4, 5] },
    ])
    const results = await ns.query({ vector: [1, 2], topK: 2 })
    expect(results).toEqual([
      { id: 'near', score: 1 / (1 + 1) },
      { id: 'far', score: 0.05263158 },
    ])
  })

  it('follows (1 + dot) / 2 under DOT_PRODUCT', async () => {
    const ns = testIndex('test-dot').namespace(freshNamespace('dot'))
    await ns.upsert([
      { id: 'x', vector: [0.6, 0.8] },
      { id: 'y', vector: [0.8, -0.6] },
    ])
    const results = await ns.query({ vector: [0.6, 0.8], topK: 5 })
    expect(results[0]).toEqual({ id: 'x', score: 1 })
    expect(results[1]?.id).toBe('y')
    expect(results[1]?.score).toBeCloseTo(0.5, 6)
  })

  it('applies topK, filters and include flags, and runs batches', async () => {
    const namespace = freshNamespace('batch')
    const ns = cosine.namespace(namespace)
    await ns.upsert(
      Array.from({ length: 6 }, (_, i) => ({
        id: `v${i}`,
        vector: [1, i / 10, 0],
        metadata: { i },
        data: `d${i}`,
      }))
    )
    const top = await ns.query({
      vector: [1, 0, 0],
      topK: 2,
      includeMetadata: true,
      includeData: true,
    })
    expect(top.map((r) => [r.id, r.metadata, r.data])).toEqual([
      ['v0', { i: 0 }, 'd0'],
      ['v1', { i: 1 }, 'd1'],
    ])
    const filtered = await ns.query({ vector: [1, 0, 0], topK: 10, filter: 'i > 3' })
    expect(filtered.map((r) => r.id)).toEqual(['v4', 'v5'])
    const many = await cosine.queryMany(
      [
        { vector: [1, 0, 0], topK: 1 },
        { vector: [1, 0.5, 0], topK: 1, filter: 'i < 5' },
      ],
      { namespace }
    )
    expect(many.map((list) => list.map((r) => r.id))).toEqual([['v0'], ['v4']])
    const single = await cosine.queryMany([{ vector: [1, 0, 0], topK: 2 }], { namespace })
    expect(single.map((list) => list.map((r) => r.id))).toEqual([['v0', 'v1']])
  })

  it('resumes a query in slices and ends it', async () => {
    const ns = freshNamespace('resumable')
    await cosine
      .namespace(ns)
      .upsert(Array.from({ length: 7 }, (_, i) => ({ id: `r${i}`, vector: [1, i / 10, 0] })))
    const { result, fetchNext, stop } = await cosine.resumableQuery(
      { vector: [1, 0, 0], topK: 3, maxIdle: 60 },
      { namespace: ns }
    )
    expect(result.map((r) => r.id)).toEqual(['r0', 'r1', 'r2'])
    expect((await fetchNext(3)).map((r) => r.id)).toEqual(['r3', 'r4', 'r5'])
    expect((await fetchNext(3)).map((r) => r.id)).toEqual(['r6'])
    expect(await stop()).toBe('Success')
    await expect(
      cosine.resumableQuery({ vector: [1, 0, 0], topK: 1, maxIdle: 60 }).then((q) => q.stop())
    ).resolves.toBe('Success')
  })

  it('returns an empty list for a namespace that does not exist', async () => {
    expect(
      await cosine.namespace(freshNamespace('never')).query({ vector: [1, 0, 0], topK: 3 })
    ).toEqual([])
  })
})

describe('Vector stand-in through @upstash/vector: sparse and hybrid', () => {
  it('ranks sparse vectors by inner product over shared indices, with optional IDF', async () => {
    const ns = testIndex('test-sparse').namespace(freshNamespace('sparse'))
    await ns.upsert([
      { id: 'both', sparseVector: { indices: [1, 2], values: [0.5, 0.5] } },
      { id: 'one', sparseVector: { indices: [2, 9], values: [1, 1] } },
      { id: 'none', sparseVector: { indices: [7], values: [1] } },
    ])
    const results = await ns.query({
      sparseVector: { indices: [1, 2], values: [1, 1] },
      topK: 5,
      includeVectors: true,
    })
    // Both score 1 (0.5 + 0.5, and 1); ties keep insertion order. 'none' shares no index.
    expect(results).toEqual([
      { id: 'both', score: 1, sparseVector: { indices: [1, 2], values: [0.5, 0.5] } },
      { id: 'one', score: 1, sparseVector: { indices: [2, 9], values: [1, 1] } },
    ])
    const idf = (n: number) => Math.log(1 + (3 - n + 0.5) / (n + 0.5))
    const weighted = await ns.query({
      sparseVector: { indices: [1, 2], values: [1, 1] },
      topK: 5,
      weightingStrategy: 'IDF' as never,
    })
    expect(weighted.map((r) => r.id)).toEqual(['both', 'one'])
    expect(weighted[0]?.score).toBeCloseTo(0.5 * idf(1) + 0.5 * idf(2), 5)
    expect(weighted[1]?.score).toBeCloseTo(idf(2), 5)
  })

  it('embeds text with BM25 on a sparse index with a sparse model', async () => {
    const ns = testIndex('test-sparse').namespace(freshNamespace('bm25'))
    await ns.upsert([
      { id: 'cats', data: 'cats chase mice around the house' },
      { id: 'stocks', data: 'stock markets fell sharply today' },
    ])
    const results = await ns.query({ data: 'why do cats chase mice', topK: 5, includeData: true })
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ id: 'cats', data: 'cats chase mice around the house' })
  })

  it('fuses dense and sparse rankings with RRF by default and DBSF on request', async () => {
    const ns = testIndex('test-hybrid').namespace(freshNamespace('hybrid'))
    await ns.upsert([
      { id: 'dense-best', vector: [1, 0], sparseVector: { indices: [5], values: [0.1] } },
      { id: 'sparse-best', vector: [0, 1], sparseVector: { indices: [5], values: [1] } },
    ])
    const query = { vector: [1, 0], sparseVector: { indices: [5], values: [1] }, topK: 2 }
    const rrf = await ns.query(query)
    // Each is first in one list and second in the other (ranks 0 and 1): 1/60 + 1/61 apiece.
    for (const result of rrf) expect(result.score).toBeCloseTo(1 / 60 + 1 / 61, 6)
    const dbsf = await ns.query({ ...query, fusionAlgorithm: 'DBSF' as never })
    expect(dbsf.map((r) => r.score)).toEqual([expect.closeTo(1, 6), expect.closeTo(1, 6)])
    const denseOnly = await ns.query({ vector: [1, 0], topK: 2 })
    expect(denseOnly).toEqual([
      { id: 'dense-best', score: 1 },
      { id: 'sparse-best', score: 0.5 },
    ])
  })
})

describe('Vector stand-in through @upstash/vector: namespaces and info', () => {
  it('keeps namespaces apart, resets one or all, lists and deletes them', async () => {
    const hybrid = testIndex('test-hybrid')
    const [left, right] = [freshNamespace('left'), freshNamespace('right')]
    const record = (id: string) => ({
      id,
      vector: [1, 0],
      sparseVector: { indices: [1], values: [1] },
    })
    await hybrid.namespace(left).upsert(record('l'))
    await hybrid.namespace(right).upsert(record('r'))
    expect(await hybrid.namespace(left).fetch(['l', 'r'])).toEqual([{ id: 'l' }, null])
    expect(await hybrid.listNamespaces()).toEqual(expect.arrayContaining(['', left, right]))
    const info = await hybrid.info()
    expect(info).toMatchObject({
      pendingVectorCount: 0,
      dimension: 2,
      similarityFunction: 'COSINE',
      denseIndex: { dimension: 2, similarityFunction: 'COSINE' },
      sparseIndex: {},
    })
    expect(info.namespaces[left]).toEqual({ vectorCount: 1, pendingVectorCount: 0 })
    expect(await hybrid.namespace(left).reset()).toBe('Success')
    expect(await hybrid.namespace(right).fetch(['r'])).toEqual([{ id: 'r' }])
    expect(await hybrid.deleteNamespace(left)).toBe('Success')
    expect(await hybrid.listNamespaces()).not.toContain(left)
    await expect(hybrid.deleteNamespace(left)).rejects.toThrow(/does not exist/)
  })

  it('resets every namespace with reset({ all: true })', async () => {
    const dot = testIndex('test-dot')
    const ns = freshNamespace('all')
    await dot.upsert({ id: 'default', vector: [1, 0] })
    await dot.namespace(ns).upsert({ id: 'named', vector: [0, 1] })
    expect(await dot.reset({ all: true })).toBe('Success')
    const info = await dot.info()
    expect(info.vectorCount).toBe(0)
    expect(await dot.namespace(ns).fetch(['named'])).toEqual([null])
  })
})
