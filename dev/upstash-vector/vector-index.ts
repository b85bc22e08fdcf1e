/**
 * One index: its settings, its namespaces and every operation the REST API exposes, with the
 * rules on which vectors each index type takes. Handlers get plain JSON bodies and return the
 * `result` value.
 */
import {
  embedDense,
  embedSparseDocument,
  embedSparseQuery,
  type SparseVector,
} from './embedders.ts'
import { badRequest, VectorError } from './errors.ts'
import { parseFilter } from './filter/parser.ts'
import { Namespace, type RecordInput, type Search } from './namespace.ts'
import { type Include, mergePatch, type StoredRecord, toWire, type WireRecord } from './records.ts'
import {
  asObject,
  asObjectList,
  type Body,
  readChoice,
  readCount,
  readId,
  readIds,
  readInclude,
  readMetadata,
  readOptionalString,
  readSparseVector,
  readVector,
} from './requests.ts'
import { toWireScore } from './scoring.ts'
import type { VectorIndexSettings } from './server.ts'

/** Upstash does not state its topK ceiling; 1000 matches its other per-request limits. */
export const MAX_TOP_K = 1000
const MAX_FETCH_BY_PREFIX = 1000

export type RankedQuery = { topK: number; include: Include; search: Search }

export class VectorIndex {
  readonly settings: VectorIndexSettings
  readonly namespaces = new Map<string, Namespace>()
  private readonly wantsDense: boolean
  private readonly wantsSparse: boolean

  constructor(settings: VectorIndexSettings) {
    this.settings = settings
    this.wantsDense = settings.type !== 'SPARSE'
    this.wantsSparse = settings.type !== 'DENSE'
    this.namespaces.set('', this.newNamespace())
  }

  /** A namespace, created on first write; reads of an unknown one see an empty namespace. */
  namespace(name: string, create = false): Namespace | undefined {
    const existing = this.namespaces.get(name)
    if (existing || !create) return existing
    const created = this.newNamespace()
    this.namespaces.set(name, created)
    return created
  }

  upsert(namespaceName: string, body: unknown, viaData: boolean): string {
    const { items } = asObjectList(body, 'upsert body')
    // Validate every item before writing any, so a bad batch changes nothing.
    const inputs = items.map((item) => this.recordInput(item, viaData))
    const namespace = this.namespace(namespaceName, true)
    for (const input of inputs) namespace?.put(input)
    return 'Success'
  }

  query(namespaceName: string, body: unknown, viaData: boolean): WireRecord[] | WireRecord[][] {
    const { items, batch } = asObjectList(body, 'query body')
    const queries = items.map((item) => this.readQuery(item, viaData))
    const results = queries.map((query) => this.run(namespaceName, query))
    // Upstash flattens a batch of one, and the SDKs rely on it.
    return batch && results.length > 1 ? results : (results[0] ?? [])
  }

  readQuery(body: Body, viaData: boolean): RankedQuery {
    const topK = readCount(body, 'topK', 10, MAX_TOP_K)
    const filterText = readOptionalString(body, 'filter') ?? ''
    const search: Search = {
      ...this.queryVectors(body, viaData),
      filter: parseFilter(filterText),
      idf: readChoice(body, 'weightingStrategy', ['IDF'] as const) === 'IDF',
      fusion:
        readChoice(body, 'fusionAlgorithm', ['RRF', 'DBSF'] as const) ??
        this.settings.fusion ??
        'RRF',
      limit: topK,
    }
    return { topK, include: readInclude(body), search }
  }

  run(namespaceName: string, query: RankedQuery): WireRecord[] {
    const namespace = this.namespace(namespaceName)
    if (!namespace) return []
    return namespace.search(query.search).map(({ item, score }) => {
      const { id, ...fields } = toWire(item, query.include, namespace.denseRow)
      return { id, score: toWireScore(score), ...fields }
    })
  }

  fetch(namespaceName: string, body: unknown): Array<WireRecord | null> {
    const request = asObject(body, 'fetch body')
    const include = readInclude(request)
    const hasIds = request.ids !== undefined
    const prefix = readOptionalString(request, 'prefix')
    if (hasIds === (prefix !== undefined)) {
      throw badRequest('Only one of ids or prefix must be provided.')
    }
    const namespace = this.namespace(namespaceName)
    const wire = (record: StoredRecord) => toWire(record, include, this.rowsOf(namespace))
    if (prefix !== undefined) {
      return this.withPrefix(namespace, prefix).slice(0, MAX_FETCH_BY_PREFIX).map(wire)
    }
    return readIds(request.ids).map((id) => {
      const record = namespace?.records.get(id)
      return record ? wire(record) : null
    })
  }

  delete(namespaceName: string, body: unknown): { deleted: number } {
    const namespace = this.namespace(namespaceName)
    const targets = this.deleteTargets(namespace, body)
    let deleted = 0
    for (const id of targets) if (namespace?.delete(id)) deleted++
    return { deleted }
  }

  range(namespaceName: string, body: unknown): { nextCursor: string; vectors: WireRecord[] } {
    const request = asObject(body, 'range body')
    const offset = readCursor(request.cursor)
    if (request.limit === undefined) throw badRequest('limit is required')
    const limit = readCount(request, 'limit', 0, MAX_TOP_K)
    const include = readInclude(request)
    const namespace = this.namespace(namespaceName)
    const matching = this.withPrefix(namespace, readOptionalString(request, 'prefix') ?? '')
    const page = matching.slice(offset, offset + limit)
    const end = offset + page.length
    return {
      nextCursor: end < matching.length ? String(end) : '',
      vectors: page.map((record) => toWire(record, include, this.rowsOf(namespace))),
    }
  }

  update(namespaceName: string, body: unknown): { updated: number } {
    const request = asObject(body, 'update body')
    const id = readId(request.id)
    const mode = readChoice(request, 'metadataUpdateMode', ['OVERWRITE', 'PATCH'] as const)
    const namespace = this.namespace(namespaceName)
    const record = namespace?.records.get(id)
    if (!namespace || !record) return { updated: 0 }
    const vectors = this.updateVectors(request)
    const data = request.data === undefined ? record.data : readOptionalString(request, 'data')
    const patch = readMetadata(request)
    let metadata = record.metadata
    if (request.metadata !== undefined) {
      metadata = mode === 'PATCH' ? asObject(mergePatch(record.metadata, patch), 'metadata') : patch
    }
    const input: RecordInput = { id, sparse: record.sparse, metadata, data, ...vectors }
    if (
      data !== undefined &&
      data !== record.data &&
      !vectors.vector &&
      !vectors.sparse &&
      this.canEmbed()
    ) {
      Object.assign(input, this.embedDocument(data))
    }
    namespace.put(input)
    return { updated: 1 }
  }

  reset(namespaceName: string): string {
    this.namespace(namespaceName)?.clear()
    return 'Success'
  }

  /** `reset?all` empties every namespace and keeps them listed. */
  resetAll(): string {
    for (const namespace of this.namespaces.values()) namespace.clear()
    return 'Success'
  }

  deleteNamespace(name: string): string {
    if (name === '') throw badRequest('The default namespace cannot be deleted.')
    if (!this.namespaces.delete(name)) {
      throw new VectorError(
        404,
        `Namespace ${name} for the index ${this.settings.name} does not exist`
      )
    }
    return 'Success'
  }

  listNamespaces(): string[] {
    return [...this.namespaces.keys()]
  }

  info() {
    const { settings } = this
    let vectorCount = 0
    let indexSize = 0
    const namespaces: Record<string, { vectorCount: number; pendingVectorCount: number }> = {}
    for (const [name, namespace] of this.namespaces) {
      vectorCount += namespace.size
      namespaces[name] = { vectorCount: namespace.size, pendingVectorCount: 0 }
      for (const record of namespace.records.values()) indexSize += estimatedBytes(record, settings)
    }
    return {
      vectorCount,
      // Writes are indexed synchronously here; production indexes them asynchronously.
      pendingVectorCount: 0,
      indexSize,
      dimension: settings.dimension,
      similarityFunction: settings.similarity,
      indexType: settings.type,
      ...(this.wantsDense && {
        denseIndex: {
          dimension: settings.dimension,
          similarityFunction: settings.similarity,
          ...(settings.embeddingModel && { embeddingModel: settings.embeddingModel }),
        },
      }),
      ...(this.wantsSparse && {
        sparseIndex: { ...(settings.sparseModel && { embeddingModel: settings.sparseModel }) },
      }),
      namespaces,
    }
  }

  private newNamespace(): Namespace {
    const { dimension, similarity } = this.settings
    return new Namespace(this.wantsDense ? { dimension, similarity } : undefined)
  }

  private rowsOf(namespace: Namespace | undefined): (slot: number) => Float32Array {
    return namespace ? namespace.denseRow : () => new Float32Array(0)
  }

  private withPrefix(namespace: Namespace | undefined, prefix: string): StoredRecord[] {
    if (!namespace) return []
    return [...namespace.records.values()].filter((record) => record.id.startsWith(prefix))
  }

  private deleteTargets(namespace: Namespace | undefined, body: unknown): string[] {
    // The Python SDK sends a bare array of ids.
    if (Array.isArray(body)) return readIds(body)
    const request = asObject(body, 'delete body')
    const given = ['ids', 'prefix', 'filter'].filter((field) => request[field] !== undefined)
    if (given.length !== 1) {
      throw badRequest('Only and only one of the ids, prefix, or filter must be provided.')
    }
    if (request.ids !== undefined) return readIds(request.ids)
    const prefix = readOptionalString(request, 'prefix')
    if (prefix !== undefined) return this.withPrefix(namespace, prefix).map((record) => record.id)
    const filter = parseFilter(readOptionalString(request, 'filter') ?? '')
    if (!filter) throw badRequest('filter must not be empty when deleting')
    return namespace ? namespace.matching(filter).map((record) => record.id) : []
  }

  /** The vectors of one upserted record, embedded from `data` where the route asks for it. */
  private recordInput(item: Body, viaData: boolean): RecordInput {
    const id = readId(item.id)
    const metadata = readMetadata(item)
    const data = readOptionalString(item, 'data')
    const hasVectors = item.vector !== undefined || item.sparseVector !== undefined
    if (viaData && hasVectors)
      throw badRequest('upsert-data takes data, not vector or sparseVector')
    if (!hasVectors && data !== undefined) {
      return { id, metadata, data, ...this.embedDocument(data) }
    }
    if (!hasVectors) throw badRequest(`record ${id} needs ${this.requiredVectors()}`)
    const vectors = this.readVectors(item)
    if ((this.wantsDense && !vectors.vector) || (this.wantsSparse && !vectors.sparse)) {
      throw badRequest(`record ${id} needs ${this.requiredVectors()}`)
    }
    return { id, metadata, data, ...vectors }
  }

  /** Update may leave both vectors out; on hybrid indexes it may not give just one. */
  private updateVectors(request: Body): { vector?: Float32Array; sparse?: SparseVector } {
    const vectors = this.readVectors(request)
    const given = Number(vectors.vector !== undefined) + Number(vectors.sparse !== undefined)
    if (this.settings.type === 'HYBRID' && given === 1) {
      throw badRequest('HYBRID indexes update vector and sparseVector together')
    }
    return vectors
  }

  private readVectors(body: Body): { vector?: Float32Array; sparse?: SparseVector } {
    const vectors: { vector?: Float32Array; sparse?: SparseVector } = {}
    if (body.vector !== undefined) {
      if (!this.wantsDense) throw badRequest('SPARSE indexes take sparseVector, not vector')
      vectors.vector = readVector(body.vector, this.settings.dimension)
    }
    if (body.sparseVector !== undefined) {
      if (!this.wantsSparse) throw badRequest('DENSE indexes take vector, not sparseVector')
      vectors.sparse = readSparseVector(body.sparseVector)
    }
    return vectors
  }

  private queryVectors(
    body: Body,
    viaData: boolean
  ): { vector?: Float32Array; sparse?: SparseVector } {
    const data = readOptionalString(body, 'data')
    if (!viaData) {
      if (data !== undefined) throw badRequest('query takes vectors; send data to query-data')
      const vectors = this.readVectors(body)
      if (!vectors.vector && !vectors.sparse) {
        throw badRequest('Either data, vector or sparseVector should be provided.')
      }
      return vectors
    }
    if (data === undefined) throw badRequest('query-data needs data (the text to embed)')
    if (body.vector !== undefined || body.sparseVector !== undefined) {
      throw badRequest('query-data takes data, not vector or sparseVector')
    }
    this.requireEmbedding()
    const mode = readChoice(body, 'queryMode', ['HYBRID', 'DENSE', 'SPARSE'] as const) ?? 'HYBRID'
    const hybrid = this.settings.type === 'HYBRID'
    const dense = this.wantsDense && (!hybrid || mode !== 'SPARSE')
    const sparse = this.wantsSparse && (!hybrid || mode !== 'DENSE')
    return {
      ...(dense && { vector: embedDense(data, this.settings.dimension) }),
      ...(sparse && { sparse: embedSparseQuery(data) }),
    }
  }

  private embedDocument(data: string): { vector?: Float32Array; sparse?: SparseVector } {
    this.requireEmbedding()
    return {
      ...(this.wantsDense && { vector: embedDense(data, this.settings.dimension) }),
      ...(this.wantsSparse && { sparse: embedSparseDocument(data) }),
    }
  }

  private canEmbed(): boolean {
    const { embeddingModel, sparseModel } = this.settings
    return (
      (!this.wantsDense || Boolean(embeddingModel)) && (!this.wantsSparse || Boolean(sparseModel))
    )
  }

  private requireEmbedding(): void {
    if (this.canEmbed()) return
    throw new VectorError(
      422,
      'Embedding data for this index is not allowed. The index must be created with an embedding model to use it.'
    )
  }

  private requiredVectors(): string {
    if (this.settings.type === 'HYBRID') return 'both vector and sparseVector (HYBRID index)'
    return this.settings.type === 'DENSE'
      ? 'a vector (DENSE index)'
      : 'a sparseVector (SPARSE index)'
  }
}

/** `0`, `"0"` and `""` start a range; later cursors are the offsets this server hands out. */
function readCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === '' || cursor === null) return 0
  const offset = typeof cursor === 'number' ? cursor : Number(cursor)
  if (!Number.isInteger(offset) || offset < 0) throw badRequest(`invalid cursor: ${String(cursor)}`)
  return offset
}

function estimatedBytes(record: StoredRecord, settings: VectorIndexSettings): number {
  const dense = record.slot >= 0 ? settings.dimension * 4 : 0
  const sparse = (record.sparse?.indices.length ?? 0) * 8
  const metadata = record.metadata ? JSON.stringify(record.metadata).length : 0
  return record.id.length + dense + sparse + metadata + (record.data?.length ?? 0)
}
