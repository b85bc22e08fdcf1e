/** The record model: what a namespace stores per id and how it goes back on the wire. */
import type { SparseVector } from './embedders.ts'
import { shortestFloat32 } from './float32.ts'

export type Metadata = Record<string, unknown>

export type StoredRecord = {
  id: string
  /** Row in the namespace's dense matrix; -1 on sparse-only indexes. */
  slot: number
  sparse?: SparseVector
  metadata?: Metadata
  data?: string
}

export type Include = { vectors: boolean; metadata: boolean; data: boolean }

/** Wire form of a record: fields that were not requested or do not exist are left out, not null. */
export type WireRecord = {
  id: string
  score?: number
  vector?: number[]
  sparseVector?: SparseVector
  metadata?: Metadata
  data?: string
}

export function toWire(
  record: StoredRecord,
  include: Include,
  denseRow: (slot: number) => Float32Array
): WireRecord {
  const wire: WireRecord = { id: record.id }
  if (include.vectors && record.slot >= 0) {
    wire.vector = Array.from(denseRow(record.slot), shortestFloat32)
  }
  if (include.vectors && record.sparse) {
    const { indices, values } = record.sparse
    wire.sparseVector = { indices, values: values.map(shortestFloat32) }
  }
  if (include.metadata && record.metadata !== undefined) wire.metadata = record.metadata
  if (include.data && record.data !== undefined) wire.data = record.data
  return wire
}

/** RFC 7396 JSON Merge Patch: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch
  const merged: Metadata = isPlainObject(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = mergePatch(merged[key], value)
  }
  return merged
}

export function isPlainObject(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
