/**
 * Optional persistence of every index to one JSON file. Dense vectors are stored as base64 of
 * their float32 bytes: exact and about a third the size of JSON numbers. Saves are debounced
 * after writes and atomic (temporary file, then rename).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SparseVector } from './embedders.ts'
import type { Metadata } from './records.ts'
import type { VectorIndex } from './vector-index.ts'

type SavedRecord = {
  id: string
  vector?: string
  sparseVector?: SparseVector
  metadata?: Metadata
  data?: string
}
type SavedIndex = { type: string; dimension: number; namespaces: Record<string, SavedRecord[]> }
type SavedFile = { version: 1; indexes: Record<string, SavedIndex> }

const SAVE_DELAY_MS = 250

export function loadIndexes(path: string, indexes: VectorIndex[]): void {
  if (!existsSync(path)) return
  const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedFile
  for (const index of indexes) {
    const entry = saved.indexes[index.settings.name]
    if (!entry) continue
    if (entry.type !== index.settings.type || entry.dimension !== index.settings.dimension) {
      console.warn(
        `vector stand-in: ${path} holds index ${index.settings.name} as ${entry.type}/${entry.dimension}; it is now ${index.settings.type}/${index.settings.dimension}, so it starts empty`
      )
      continue
    }
    for (const [name, records] of Object.entries(entry.namespaces)) {
      const namespace = index.namespace(name, true)
      for (const record of records) {
        namespace?.put({
          id: record.id,
          vector: record.vector === undefined ? undefined : decodeFloats(record.vector),
          sparse: record.sparseVector,
          metadata: record.metadata,
          data: record.data,
        })
      }
    }
  }
}

function snapshot(indexes: VectorIndex[]): SavedFile {
  const file: SavedFile = { version: 1, indexes: {} }
  for (const index of indexes) {
    const namespaces: Record<string, SavedRecord[]> = {}
    for (const [name, namespace] of index.namespaces) {
      namespaces[name] = [...namespace.records.values()].map((record) => ({
        id: record.id,
        ...(record.slot >= 0 && { vector: encodeFloats(namespace.denseRow(record.slot)) }),
        ...(record.sparse && { sparseVector: record.sparse }),
        ...(record.metadata !== undefined && { metadata: record.metadata }),
        ...(record.data !== undefined && { data: record.data }),
      }))
    }
    const { type, dimension } = index.settings
    file.indexes[index.settings.name] = { type, dimension, namespaces }
  }
  return file
}

/** Returns `changed()` to call after each write and `flush()` to save now (on close). */
export function createSaver(path: string, indexes: VectorIndex[]) {
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    mkdirSync(dirname(path), { recursive: true })
    const temporary = `${path}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(snapshot(indexes)))
    renameSync(temporary, path)
  }
  const changed = () => {
    timer ??= setTimeout(flush, SAVE_DELAY_MS)
  }
  return { changed, flush }
}

function encodeFloats(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64')
}

function decodeFloats(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64')
  const copy = new Uint8Array(bytes)
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4)
}
