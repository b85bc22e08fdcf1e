/**
 * Deterministic local embedders behind the `*-data` endpoints: a development stand-in for
 * Upstash's hosted models (BGE, BM25), which cannot be downloaded here. They have no notion of
 * meaning, only of shared words: paraphrases that reuse words score high, unrelated text low.
 */

export type SparseVector = { indices: number[]; values: number[] }

const STOP_WORDS = new Set(
  (
    'a an and are as at be but by do does for from has have how i if in into is it its me my no ' +
    'not of on or our so such than that the their then there these they this to was we were what ' +
    'when where which who why will with you your'
  ).split(' ')
)

/** Lowercased words without stop words, lightly stemmed so plurals and tenses meet. */
export function terms(text: string): string[] {
  const words = text
    .toLowerCase()
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
  const content = words.filter((word) => word !== '' && !STOP_WORDS.has(word))
  return (content.length > 0 ? content : words.filter((word) => word !== '')).map(stem)
}

function stem(word: string): string {
  if (word.length <= 4) return word
  for (const [suffix, replacement] of SUFFIXES) {
    if (word.endsWith(suffix)) return word.slice(0, -suffix.length) + replacement
  }
  return word
}

const SUFFIXES: Array<[string, string]> = [
  ['ies', 'y'],
  ['ing', ''],
  ['ed', ''],
  ['ly', ''],
  ['es', ''],
  ['s', ''],
]

/** FNV-1a, 32 bits: stable across runs and platforms, which is the point here. */
function hash(feature: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < feature.length; i++) {
    h ^= feature.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * Hashed features: words (weight 1), adjacent word pairs (0.5) and character trigrams of each
 * word (0.25, so spelling variants overlap), each folded into a signed bucket, then L2-normalised.
 */
export function embedDense(text: string, dimension: number): Float32Array {
  const vector = new Float32Array(dimension)
  const add = (feature: string, weight: number) => {
    const h = hash(feature)
    vector[h % dimension] = (vector[h % dimension] ?? 0) + (h & 0x80000000 ? -weight : weight)
  }
  const words = terms(text)
  words.forEach((word, i) => {
    add(`w:${word}`, 1)
    const following = words[i + 1]
    if (following !== undefined) add(`b:${word} ${following}`, 0.5)
    const padded = `#${word}#`
    for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.25)
  })
  let norm = 0
  for (const value of vector) norm += value * value
  norm = Math.sqrt(norm)
  if (norm > 0) for (let i = 0; i < dimension; i++) vector[i] = (vector[i] ?? 0) / norm
  return vector
}

const BM25_K1 = 1.2
const BM25_B = 0.75
/** Upstash's BM25 fixes the average document length instead of tracking it per index. */
const BM25_AVERAGE_LENGTH = 32

/** Document side of BM25: the saturated term frequency per term; IDF is applied at query time. */
export function embedSparseDocument(text: string): SparseVector {
  const counts = termCounts(text)
  const length = [...counts.values()].reduce((sum, count) => sum + count, 0)
  const norm = BM25_K1 * (1 - BM25_B + (BM25_B * length) / BM25_AVERAGE_LENGTH)
  return toSparse(counts, (tf) => (tf * (BM25_K1 + 1)) / (tf + norm))
}

/** Query side of BM25: each distinct query term once (IDF comes from `weightingStrategy`). */
export function embedSparseQuery(text: string): SparseVector {
  return toSparse(termCounts(text), () => 1)
}

function termCounts(text: string): Map<number, number> {
  const counts = new Map<number, number>()
  // 31-bit indices: Upstash takes sparse indices as non-negative int32.
  for (const term of terms(text)) {
    const index = hash(term) >>> 1
    counts.set(index, (counts.get(index) ?? 0) + 1)
  }
  return counts
}

function toSparse(counts: Map<number, number>, weight: (tf: number) => number): SparseVector {
  const indices = [...counts.keys()].sort((a, b) => a - b)
  // Stored as float32, as Upstash stores every vector.
  return { indices, values: indices.map((index) => Math.fround(weight(counts.get(index) ?? 0))) }
}
