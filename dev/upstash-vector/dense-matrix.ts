/**
 * Dense vectors of one namespace packed row by row in one Float32Array, so an exact scan is a
 * tight loop over contiguous memory. Deleting moves the last row into the hole.
 */
export class DenseMatrix {
  readonly dimension: number
  private rows: Float32Array
  private squaredNorms: Float32Array
  private count = 0

  constructor(dimension: number) {
    this.dimension = dimension
    this.rows = new Float32Array(dimension * 64)
    this.squaredNorms = new Float32Array(64)
  }

  get size(): number {
    return this.count
  }

  /** Appends a row and returns its slot. */
  add(vector: Float32Array): number {
    if (this.count === this.squaredNorms.length) this.grow()
    const slot = this.count++
    this.set(slot, vector)
    return slot
  }

  set(slot: number, vector: Float32Array): void {
    this.rows.set(vector, slot * this.dimension)
    let normSq = 0
    for (let i = 0; i < vector.length; i++) normSq += (vector[i] ?? 0) * (vector[i] ?? 0)
    this.squaredNorms[slot] = normSq
  }

  row(slot: number): Float32Array {
    return this.rows.subarray(slot * this.dimension, (slot + 1) * this.dimension)
  }

  squaredNorm(slot: number): number {
    return this.squaredNorms[slot] ?? 0
  }

  /** Removes a row by moving the last one into its place; returns the slot that moved, if any. */
  remove(slot: number): number | undefined {
    const last = --this.count
    if (slot === last) return undefined
    this.rows.copyWithin(slot * this.dimension, last * this.dimension, (last + 1) * this.dimension)
    this.squaredNorms[slot] = this.squaredNorms[last] ?? 0
    return last
  }

  /** Dot product of `query` with every row. */
  dotAll(query: Float32Array): Float64Array {
    const dimension = this.dimension
    const rows = this.rows
    const out = new Float64Array(this.count)
    // One accumulator over float32 rows measured faster on V8 than unrolled variants.
    for (let slot = 0; slot < this.count; slot++) {
      const base = slot * dimension
      let sum = 0
      for (let i = 0; i < dimension; i++) sum += (query[i] ?? 0) * (rows[base + i] ?? 0)
      out[slot] = sum
    }
    return out
  }

  private grow(): void {
    const capacity = this.squaredNorms.length * 2
    const rows = new Float32Array(capacity * this.dimension)
    rows.set(this.rows)
    this.rows = rows
    const norms = new Float32Array(capacity)
    norms.set(this.squaredNorms)
    this.squaredNorms = norms
  }
}
