/**
 * One namespace of an index: records by id (insertion order, which `range` pages through), the
 * dense matrix, and per-dimension document counts for sparse IDF weighting.
 */
import { DenseMatrix } from './dense-matrix.ts'
import type { SparseVector } from './embedders.ts'
import { matches } from './filter/evaluate.ts'
import type { Filter } from './filter/parser.ts'
import { add32, multiply32 } from './float32.ts'
import type { Metadata, StoredRecord } from './records.ts'
import {
  denseScore,
  type Fusion,
  fuse,
  inverseDocumentFrequency,
  type Scored,
  type Similarity,
  topScores,
} from './scoring.ts'

export type RecordInput = {
  id: string
  vector?: Float32Array
  sparse?: SparseVector
  metadata?: Metadata
  data?: string
}

export type Search = {
  vector?: Float32Array
  sparse?: SparseVector
  filter?: Filter
  idf: boolean
  fusion: Fusion
  /** How many results to rank; Infinity ranks every match (resumable queries). */
  limit: number
}

export class Namespace {
  readonly records = new Map<string, StoredRecord>()
  private readonly matrix: DenseMatrix | undefined
  private readonly slotOwners: StoredRecord[] = []
  private readonly documentFrequency = new Map<number, number>()
  private readonly similarity: Similarity

  /** `dense` is left out on sparse-only indexes. */
  constructor(dense: { dimension: number; similarity: Similarity } | undefined) {
    this.matrix = dense && new DenseMatrix(dense.dimension)
    this.similarity = dense?.similarity ?? 'COSINE'
  }

  get size(): number {
    return this.records.size
  }

  denseRow = (slot: number): Float32Array => {
    if (!this.matrix) throw new Error('this namespace has no dense vectors')
    return this.matrix.row(slot)
  }

  /** Inserts or replaces the whole record. */
  put(input: RecordInput): void {
    const existing = this.records.get(input.id)
    const record: StoredRecord = existing ?? { id: input.id, slot: -1 }
    if (existing?.sparse) this.countDimensions(existing.sparse, -1)
    record.sparse = input.sparse
    record.metadata = input.metadata
    record.data = input.data
    if (record.sparse) this.countDimensions(record.sparse, 1)
    if (input.vector && this.matrix) {
      if (record.slot < 0) {
        record.slot = this.matrix.add(input.vector)
        this.slotOwners[record.slot] = record
      } else {
        this.matrix.set(record.slot, input.vector)
      }
    }
    this.records.set(record.id, record)
  }

  delete(id: string): boolean {
    const record = this.records.get(id)
    if (!record) return false
    this.records.delete(id)
    if (record.sparse) this.countDimensions(record.sparse, -1)
    if (record.slot >= 0 && this.matrix) {
      const moved = this.matrix.remove(record.slot)
      const mover = moved === undefined ? undefined : this.slotOwners[moved]
      if (mover) {
        mover.slot = record.slot
        this.slotOwners[record.slot] = mover
      }
      this.slotOwners.length = this.matrix.size
    }
    return true
  }

  clear(): void {
    for (const id of [...this.records.keys()]) this.delete(id)
  }

  matching(filter: Filter): StoredRecord[] {
    return [...this.records.values()].filter((record) => matches(filter, record.metadata))
  }

  /** Ranks records for a query; with both vectors the two ranked lists are fused. */
  search(query: Search): Array<Scored<StoredRecord>> {
    const accept = (record: StoredRecord) => !query.filter || matches(query.filter, record.metadata)
    // Each list is cut to topK before fusing, as Upstash does: a record ranked just below topK
    // in one list contributes nothing, whatever its rank in the other.
    const dense = query.vector && this.denseRanking(query.vector, accept, query.limit)
    const sparse =
      query.sparse && this.sparseRanking(query.sparse, accept, query.idf).slice(0, query.limit)
    if (dense && sparse) return fuse([dense, sparse], query.fusion).slice(0, query.limit)
    return dense ?? sparse ?? []
  }

  private denseRanking(
    vector: Float32Array,
    accept: (record: StoredRecord) => boolean,
    limit: number
  ): Array<Scored<StoredRecord>> {
    if (!this.matrix) return []
    const matrix = this.matrix
    const similarity = this.similarity
    let queryNormSq = 0
    for (const value of vector) queryNormSq += value * value
    const scores = matrix.dotAll(vector)
    for (let slot = 0; slot < scores.length; slot++) {
      // Rounded to float32 here, not only on the wire, so DBSF fuses what Upstash would.
      scores[slot] = Math.fround(
        denseScore(similarity, scores[slot] ?? 0, queryNormSq, matrix.squaredNorm(slot))
      )
    }
    return topScores(scores, Math.min(limit, scores.length), (slot) => {
      const owner = this.slotOwners[slot]
      return owner !== undefined && accept(owner)
    }).flatMap(({ item, score }) => {
      const owner = this.slotOwners[item]
      return owner ? [{ item: owner, score }] : []
    })
  }

  /** Inner product over shared dimensions, in float32; records sharing none are not matches. */
  private sparseRanking(
    query: SparseVector,
    accept: (record: StoredRecord) => boolean,
    idf: boolean
  ): Array<Scored<StoredRecord>> {
    const weights = new Map<number, number>()
    query.indices.forEach((index, i) => {
      const weight = query.values[i] ?? 0
      const scale = idf
        ? inverseDocumentFrequency(this.size, this.documentFrequency.get(index) ?? 0)
        : 1
      weights.set(index, multiply32(weight, Math.fround(scale)))
    })
    const ranked: Array<Scored<StoredRecord>> = []
    for (const record of this.records.values()) {
      if (!record.sparse) continue
      let score = 0
      let shared = false
      record.sparse.indices.forEach((index, i) => {
        const weight = weights.get(index)
        if (weight === undefined) return
        shared = true
        score = add32(score, multiply32(weight, record.sparse?.values[i] ?? 0))
      })
      if (shared && accept(record)) ranked.push({ item: record, score })
    }
    return ranked.sort((a, b) => b.score - a.score)
  }

  private countDimensions(sparse: SparseVector, delta: number): void {
    for (const index of sparse.indices) {
      const count = (this.documentFrequency.get(index) ?? 0) + delta
      if (count > 0) this.documentFrequency.set(index, count)
      else this.documentFrequency.delete(index)
    }
  }
}
