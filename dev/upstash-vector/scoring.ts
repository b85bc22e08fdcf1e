/**
 * Upstash's score formulas. Dense scores are normalised so higher is closer; sparse scores are
 * raw inner products; hybrid scores fuse the two ranked lists.
 */
import { add32, shortestFloat32 } from './float32.ts'
import type { VectorIndexSettings } from './server.ts'

export type Similarity = VectorIndexSettings['similarity']
export type Fusion = 'RRF' | 'DBSF'
export type Scored<T> = { item: T; score: number }

/**
 * COSINE `(1 + cos) / 2`, EUCLIDEAN `1 / (1 + squared distance)`, DOT_PRODUCT `(1 + dot) / 2`
 * (left unclamped so non-unit vectors still rank). A zero vector has cosine 0.
 */
export function denseScore(
  similarity: Similarity,
  dot: number,
  queryNormSq: number,
  normSq: number
) {
  if (similarity === 'DOT_PRODUCT') return (1 + dot) / 2
  if (similarity === 'EUCLIDEAN') return 1 / (1 + Math.max(0, queryNormSq + normSq - 2 * dot))
  const denominator = Math.sqrt(queryNormSq * normSq)
  const cosine = denominator === 0 ? 0 : Math.min(1, Math.max(-1, dot / denominator))
  return (1 + cosine) / 2
}

/** `ln(1 + (N - n + 0.5) / (n + 0.5))`: the SDK's form, which never goes negative. */
export function inverseDocumentFrequency(total: number, containing: number): number {
  return Math.log(1 + (total - containing + 0.5) / (containing + 0.5))
}

/** Scores travel as float32 on Upstash; rounding also makes identical vectors score exactly 1. */
export const toWireScore = shortestFloat32

/**
 * Fuses ranked lists (each sorted best first and already cut to topK, as Upstash cuts each list
 * before fusing), in float32 as Upstash computes. RRF adds `1 / (60 + rank)` with rank counted
 * from 0, so a result first in both lists scores 2/60; DBSF rescales each list by its mean ± 3
 * sample standard deviations, then adds.
 */
export function fuse<T>(lists: Array<Array<Scored<T>>>, fusion: Fusion): Array<Scored<T>> {
  const totals = new Map<T, number>()
  for (const list of lists) {
    const normalise = fusion === 'RRF' ? reciprocalRank : distributionScaler(list)
    list.forEach((entry, rank) => {
      totals.set(entry.item, add32(totals.get(entry.item) ?? 0, normalise(entry.score, rank)))
    })
  }
  return [...totals].map(([item, score]) => ({ item, score })).sort((a, b) => b.score - a.score)
}

const RRF_K = 60
const reciprocalRank = (_score: number, rank: number) => Math.fround(1 / (RRF_K + rank))

/** Where DBSF puts a list that has no spread to scale by: one entry, or all scores equal. */
const NO_SPREAD_SCORE = 0.5

function distributionScaler<T>(list: Array<Scored<T>>): (score: number) => number {
  const n = list.length
  const mean = list.reduce((sum, entry) => sum + entry.score, 0) / n
  const squares = list.reduce((sum, entry) => sum + (entry.score - mean) ** 2, 0)
  // The sample deviation (n - 1), which Upstash uses; a list of one has none.
  const deviation = n > 1 ? Math.sqrt(squares / (n - 1)) : 0
  if (deviation === 0) return () => NO_SPREAD_SCORE
  const low = mean - 3 * deviation
  return (score) => Math.fround((score - low) / (6 * deviation))
}

/** The best `limit` entries that pass `accept`, best first; `accept` runs only on contenders. */
export function topScores(
  scores: Float64Array,
  limit: number,
  accept: (slot: number) => boolean
): Array<Scored<number>> {
  const heap = new MinHeap(limit)
  for (let slot = 0; slot < scores.length; slot++) {
    const score = scores[slot] ?? 0
    if (heap.full() && score <= heap.minimum()) continue
    if (accept(slot)) heap.push(slot, score)
  }
  return heap.drain()
}

/** A bounded min-heap of (slot, score): the root is the weakest of the current best. */
class MinHeap {
  private readonly slots: number[] = []
  private readonly scores: number[] = []
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  full(): boolean {
    return this.slots.length >= this.capacity
  }

  minimum(): number {
    return this.scores[0] ?? Number.NEGATIVE_INFINITY
  }

  push(slot: number, score: number): void {
    if (this.capacity === 0) return
    if (this.full()) {
      this.slots[0] = slot
      this.scores[0] = score
      this.siftDown(0)
      return
    }
    this.slots.push(slot)
    this.scores.push(score)
    this.siftUp(this.slots.length - 1)
  }

  drain(): Array<Scored<number>> {
    return this.slots
      .map((slot, i) => ({ item: slot, score: this.scores[i] ?? 0 }))
      .sort((a, b) => b.score - a.score || a.item - b.item)
  }

  private less(i: number, j: number): boolean {
    return (this.scores[i] ?? 0) < (this.scores[j] ?? 0)
  }

  private swap(i: number, j: number): void {
    ;[this.slots[i], this.slots[j]] = [this.slots[j] ?? 0, this.slots[i] ?? 0]
    ;[this.scores[i], this.scores[j]] = [this.scores[j] ?? 0, this.scores[i] ?? 0]
  }

  private siftUp(start: number): void {
    let i = start
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(start: number): void {
    let i = start
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < this.slots.length && this.less(left, smallest)) smallest = left
      if (right < this.slots.length && this.less(right, smallest)) smallest = right
      if (smallest === i) return
      this.swap(i, smallest)
      i = smallest
    }
  }
}
