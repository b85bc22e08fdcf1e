/**
 * Reading request bodies. Each reader names the offending field in its 400 so a caller can tell
 * which part of a request was refused.
 */
import type { SparseVector } from './embedders.ts'
import { badRequest, VectorError } from './errors.ts'
import { add32 } from './float32.ts'
import { type Include, isPlainObject, type Metadata } from './records.ts'

export type Body = Record<string, unknown>

/** Upstash caps sparse vectors at 1000 non-zero entries. */
const MAX_SPARSE_ENTRIES = 1000

export function asObject(value: unknown, what: string): Body {
  if (!isPlainObject(value)) throw badRequest(`${what} must be a JSON object`)
  return value
}

/** A single object, or a non-empty array of them (a batch). */
export function asObjectList(value: unknown, what: string): { items: Body[]; batch: boolean } {
  if (!Array.isArray(value)) return { items: [asObject(value, what)], batch: false }
  if (value.length === 0) throw badRequest(`${what} must not be an empty array`)
  return { items: value.map((item, i) => asObject(item, `${what}[${i}]`)), batch: true }
}

/** Ids are strings on the wire; numeric ids are accepted and stored as their string form. */
export function readId(value: unknown, field = 'id'): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'string' && value !== '') return value
  throw badRequest(`${field} must be a non-empty string or a number`)
}

export function readIds(value: unknown): string[] {
  if (!Array.isArray(value)) throw badRequest('ids must be an array')
  return value.map((id, i) => readId(id, `ids[${i}]`))
}

export function readBoolean(body: Body, field: string): boolean {
  const value = body[field]
  if (value === undefined || value === null) return false
  if (typeof value !== 'boolean') throw badRequest(`${field} must be a boolean`)
  return value
}

export function readInclude(body: Body): Include {
  return {
    vectors: readBoolean(body, 'includeVectors'),
    metadata: readBoolean(body, 'includeMetadata'),
    data: readBoolean(body, 'includeData'),
  }
}

export function readOptionalString(body: Body, field: string): string | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`)
  return value
}

export function readChoice<T extends string>(body: Body, field: string, choices: readonly T[]) {
  const value = readOptionalString(body, field)
  if (value === undefined) return undefined
  const choice = choices.find((candidate) => candidate === value.toUpperCase())
  if (!choice) throw badRequest(`${field} must be one of ${choices.join(', ')}`)
  return choice
}

export function readCount(body: Body, field: string, fallback: number, max: number): number {
  const value = body[field] ?? fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw badRequest(`${field} must be a non-negative integer`)
  }
  if (value > max) throw badRequest(`${field} must be at most ${max}`)
  return value
}

export function readMetadata(body: Body): Metadata | undefined {
  const value = body.metadata
  if (value === undefined || value === null) return undefined
  if (!isPlainObject(value)) throw badRequest('metadata must be a JSON object')
  return value
}

/** Dense vectors are stored as float32, as Upstash does. */
export function readVector(value: unknown, dimension: number): Float32Array {
  if (!Array.isArray(value)) throw badRequest('vector must be an array of numbers')
  if (value.length !== dimension) {
    throw new VectorError(422, `Invalid vector dimension: ${value.length}, expected: ${dimension}`)
  }
  const vector = new Float32Array(dimension)
  value.forEach((component, i) => {
    if (typeof component !== 'number' || !Number.isFinite(component)) {
      throw badRequest(`vector[${i}] must be a finite number`)
    }
    vector[i] = component
  })
  return vector
}

/**
 * Sorted by index with float32 values. Upstash accepts a repeated index and does not document
 * what it keeps; the repeats are summed, the usual reading of a coordinate-list sparse vector
 * (SciPy's COO matrices, PyTorch's coalesce), and the one that keeps every inner product equal to
 * that of the vector as sent.
 */
export function readSparseVector(value: unknown): SparseVector {
  const body = asObject(value, 'sparseVector')
  const { indices, values } = body
  if (!Array.isArray(indices) || !Array.isArray(values) || indices.length !== values.length) {
    throw badRequest('sparseVector must have indices and values arrays of equal length')
  }
  if (indices.length > MAX_SPARSE_ENTRIES) {
    throw badRequest(`sparseVector has ${indices.length} entries; at most ${MAX_SPARSE_ENTRIES}`)
  }
  const weights = new Map<number, number>()
  indices.forEach((index, i) => {
    const weight = values[i]
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 2 ** 32) {
      throw badRequest(`sparseVector.indices[${i}] must be a non-negative integer`)
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw badRequest(`sparseVector.values[${i}] must be a finite number`)
    }
    weights.set(index, add32(weights.get(index) ?? 0, Math.fround(weight)))
  })
  const sorted = [...weights.keys()].sort((a, b) => a - b)
  return { indices: sorted, values: sorted.map((index) => weights.get(index) ?? 0) }
}
