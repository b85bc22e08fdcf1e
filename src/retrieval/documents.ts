/**
 * @module
 * Documents: validated, cleaned, chunked and written to the collection's Vector namespace through
 * the index's hosted embedding model (`upsert-data`). A document's record keeps a hash of what
 * its chunks hold, so re-sending it unchanged writes nothing, and the number of chunk ids that
 * may exist, so a changed or deleted document leaves no orphan chunks behind.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { Index } from '@upstash/vector/cloudflare'
import * as z from 'zod/mini'
import { GatewayError } from '../errors'
import { sha256Hex } from '../lib/crypto'
import { lazy } from '../lib/lazy'
import { chunkBlocks } from './chunk'
import { cleanDocument, type SourceFormat } from './clean'
import type { CollectionRef } from './collections'

/** Cleaned characters per document (about 50k tokens); larger files belong in several documents. */
export const MAX_DOCUMENT_CHARS = 200_000
export const MAX_DOCUMENTS_PER_REQUEST = 100
export const MAX_CHUNKS_PER_REQUEST = 2000
/** Chunks per `upsert-data` call: each call embeds its whole batch. */
const UPSERT_BATCH = 100
const DELETE_BATCH = 1000

/** Keys the gateway sets on every chunk; user metadata may not use them. */
export const RESERVED_METADATA_KEYS = ['document_id', 'chunk_index', 'title', 'url'] as const
const MAX_METADATA_BYTES = 4096

/** No '#': chunk ids are `<document id>#<chunk index>`. No '/': ids are path segments. */
const DocumentId = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][\w.:@=+-]{0,199}$/, 'must be 1-200 letters, digits or ._:@=+-'))

const scalar = lazy(() => z.union([z.string().check(z.maxLength(2000)), z.number(), z.boolean()]))
const MetadataSchema = lazy(() =>
  z
    .record(
      z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'keys must be identifiers')),
      z.union([scalar(), z.array(scalar()).check(z.maxLength(100))])
    )
    .check(
      z.refine((metadata) => !RESERVED_METADATA_KEYS.some((key) => key in metadata), {
        message: `must not use the reserved keys ${RESERVED_METADATA_KEYS.join(', ')}`,
      }),
      z.refine((metadata) => JSON.stringify(metadata).length <= MAX_METADATA_BYTES, {
        message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
      })
    )
)
export type Metadata = z.infer<ReturnType<typeof MetadataSchema>>

export const DocumentInputSchema = lazy(() =>
  z
    .strictObject({
      id: z.optional(DocumentId),
      text: z.optional(z.string()),
      markdown: z.optional(z.string()),
      html: z.optional(z.string()),
      title: z.optional(z.string().check(z.maxLength(500))),
      url: z.optional(z.string().check(z.maxLength(2048))),
      metadata: z.optional(MetadataSchema()),
    })
    .check(
      z.refine(
        (doc) => [doc.text, doc.markdown, doc.html].filter((s) => s !== undefined).length === 1,
        {
          message: 'exactly one of text, markdown or html is required',
        }
      )
    )
)
export type DocumentInput = z.infer<ReturnType<typeof DocumentInputSchema>>

export const DocumentsSchema = lazy(() =>
  z.strictObject({
    documents: z
      .array(DocumentInputSchema())
      .check(z.minLength(1), z.maxLength(MAX_DOCUMENTS_PER_REQUEST)),
  })
)

export type DocumentRecord = {
  id: string
  title?: string
  url?: string
  metadata: Metadata
  content_hash: string
  /** Chunk ids `<id>#0` to `<id>#<chunks - 1>` may exist; while indexing, the larger of old and new. */
  chunks: number
  characters: number
  status: 'indexing' | 'ready'
  created_at: string
  updated_at: string
}

export type IngestStatus = 'created' | 'updated' | 'unchanged'
export type IngestResult = { id: string; status: IngestStatus; chunks: number }

type Prepared = {
  input: DocumentInput
  id: string
  chunks: string[]
  characters: number
  hash: string
}

export async function ingestDocuments(
  redis: Redis,
  index: Index,
  ref: CollectionRef,
  inputs: DocumentInput[]
): Promise<IngestResult[]> {
  const prepared = await Promise.all(inputs.map((input, i) => prepare(ref, input, i)))
  assertWithinLimits(prepared)
  const existing = await redis.hmget<Record<string, DocumentRecord | null>>(
    ref.documentsKey,
    ...prepared.map((doc) => doc.id)
  )
  const previous = (id: string) => existing?.[id] ?? undefined
  const changed = prepared.filter((doc) => {
    const old = previous(doc.id)
    return !(old?.status === 'ready' && old.content_hash === doc.hash)
  })
  const now = new Date().toISOString()
  const record = (doc: Prepared, status: DocumentRecord['status']): DocumentRecord => {
    const old = previous(doc.id)
    const chunkBound =
      status === 'ready' ? doc.chunks.length : Math.max(old?.chunks ?? 0, doc.chunks.length)
    return {
      id: doc.id,
      ...(doc.input.title === undefined ? {} : { title: doc.input.title }),
      ...(doc.input.url === undefined ? {} : { url: doc.input.url }),
      metadata: doc.input.metadata ?? {},
      content_hash: doc.hash,
      chunks: chunkBound,
      characters: doc.characters,
      status,
      created_at: old?.created_at ?? now,
      updated_at: now,
    }
  }

  if (changed.length > 0) {
    // Recorded before any vector is written, so a failure part-way leaves a record that knows
    // every chunk id that may exist, and the next attempt or a delete removes them all.
    await redis.hset(ref.documentsKey, recordFields(changed.map((doc) => record(doc, 'indexing'))))
    await upsertChunks(index, ref, changed)
    const surplus = changed.flatMap((doc) =>
      chunkIds(doc.id, doc.chunks.length, previous(doc.id)?.chunks ?? 0)
    )
    await deleteVectors(index, ref.namespace, surplus)
    await redis.hset(ref.documentsKey, recordFields(changed.map((doc) => record(doc, 'ready'))))
  }
  return prepared.map((doc) => {
    const old = previous(doc.id)
    const status: IngestStatus = !changed.includes(doc) ? 'unchanged' : old ? 'updated' : 'created'
    return { id: doc.id, status, chunks: doc.chunks.length }
  })
}

async function prepare(
  ref: CollectionRef,
  input: DocumentInput,
  position: number
): Promise<Prepared> {
  const [format, source] = sourceOf(input)
  const param = `documents[${position}].${format}`
  const blocks = cleanDocument(source, format)
  const characters = blocks.reduce((sum, block) => sum + block.text.length, 0)
  if (characters > MAX_DOCUMENT_CHARS) {
    throw new GatewayError(
      413,
      `Document ${position} has ${characters} characters of text; the limit is ${MAX_DOCUMENT_CHARS}. Split it into several documents.`,
      { param, code: 'document_too_large' }
    )
  }
  if (characters === 0) {
    throw new GatewayError(400, `Document ${position} has no text once its markup is removed.`, {
      param,
      code: 'empty_document',
    })
  }
  const chunks = chunkBlocks(blocks, {
    size: ref.record.chunk_size,
    overlap: ref.record.chunk_overlap,
  })
  const hash = await sha256Hex(
    JSON.stringify([chunks, input.title ?? null, input.url ?? null, input.metadata ?? {}])
  )
  // Without an id, the same text always gets the same id: re-sending it is still idempotent.
  const id = input.id ?? `doc-${(await sha256Hex(chunks.join('\n'))).slice(0, 24)}`
  return { input, id, chunks, characters, hash }
}

function sourceOf(input: DocumentInput): [SourceFormat, string] {
  if (input.html !== undefined) return ['html', input.html]
  if (input.markdown !== undefined) return ['markdown', input.markdown]
  return ['text', input.text ?? '']
}

function assertWithinLimits(prepared: Prepared[]): void {
  const ids = new Set<string>()
  for (const [i, doc] of prepared.entries()) {
    if (ids.has(doc.id)) {
      throw new GatewayError(
        400,
        `Document id '${doc.id}' appears more than once in the request.`,
        {
          param: `documents[${i}].id`,
          code: 'duplicate_document',
        }
      )
    }
    ids.add(doc.id)
  }
  const total = prepared.reduce((sum, doc) => sum + doc.chunks.length, 0)
  if (total > MAX_CHUNKS_PER_REQUEST) {
    throw new GatewayError(
      413,
      `The documents make ${total} chunks; one request may write at most ${MAX_CHUNKS_PER_REQUEST}. Send fewer documents per request.`,
      { code: 'too_many_chunks' }
    )
  }
}

async function upsertChunks(index: Index, ref: CollectionRef, docs: Prepared[]): Promise<void> {
  const vectors = docs.flatMap((doc) =>
    doc.chunks.map((text, chunk) => ({
      id: `${doc.id}#${chunk}`,
      data: text,
      metadata: {
        ...doc.input.metadata,
        document_id: doc.id,
        chunk_index: chunk,
        ...(doc.input.title === undefined ? {} : { title: doc.input.title }),
        ...(doc.input.url === undefined ? {} : { url: doc.input.url }),
      },
    }))
  )
  for (let at = 0; at < vectors.length; at += UPSERT_BATCH) {
    await index.upsert(vectors.slice(at, at + UPSERT_BATCH), { namespace: ref.namespace })
  }
}

function chunkIds(documentId: string, from: number, to: number): string[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => `${documentId}#${from + i}`)
}

async function deleteVectors(index: Index, namespace: string, ids: string[]): Promise<void> {
  for (let at = 0; at < ids.length; at += DELETE_BATCH) {
    await index.delete(ids.slice(at, at + DELETE_BATCH), { namespace })
  }
}

function recordFields(records: DocumentRecord[]): Record<string, string> {
  return Object.fromEntries(records.map((record) => [record.id, JSON.stringify(record)]))
}

export async function getDocument(
  redis: Redis,
  ref: CollectionRef,
  id: string
): Promise<DocumentRecord> {
  const record = DocumentId.safeParse(id).success
    ? await redis.hget<DocumentRecord>(ref.documentsKey, id)
    : null
  if (!record) {
    throw new GatewayError(404, `Document '${id}' not found in collection '${ref.record.name}'.`, {
      code: 'document_not_found',
    })
  }
  return record
}

/** The document's chunk texts in order, from the index. */
export async function documentChunks(index: Index, ref: CollectionRef, record: DocumentRecord) {
  const ids = chunkIds(record.id, 0, record.chunks)
  if (ids.length === 0) return []
  const found = await index.fetch(ids, { namespace: ref.namespace, includeData: true })
  return found.flatMap((vector, chunk) =>
    vector ? [{ index: chunk, text: vector.data ?? '' }] : []
  )
}

export async function deleteDocument(
  redis: Redis,
  index: Index,
  ref: CollectionRef,
  record: DocumentRecord
): Promise<void> {
  await deleteVectors(index, ref.namespace, chunkIds(record.id, 0, record.chunks))
  await redis.hdel(ref.documentsKey, record.id)
}

/** Redis scan cursors are unsigned 64-bit: a larger one is a Redis error, so refuse it here. */
const MAX_SCAN_CURSOR = 2n ** 64n - 1n

/** A cursor as `next_cursor` gave it: decimal digits within Redis's unsigned 64-bit range. */
export const DocumentCursor = lazy(() =>
  z.string().check(
    // One check: zod runs every check, and BigInt() throws on what the pattern refuses.
    z.refine(
      (cursor) => /^\d{1,20}$/.test(cursor) && BigInt(cursor) <= MAX_SCAN_CURSOR,
      'must be a cursor from next_cursor'
    )
  )
)

/** One page of the collection's documents, in Redis hash order. */
export async function listDocuments(
  redis: Redis,
  ref: CollectionRef,
  cursor: string,
  limit: number
): Promise<{ records: DocumentRecord[]; nextCursor: string | null }> {
  const [next, flat] = await redis.hscan(ref.documentsKey, cursor, { count: limit })
  const records: DocumentRecord[] = []
  for (let i = 1; i < flat.length; i += 2) {
    const value = flat[i]
    records.push((typeof value === 'string' ? JSON.parse(value) : value) as DocumentRecord)
  }
  const nextCursor = String(next)
  return { records, nextCursor: nextCursor === '0' ? null : nextCursor }
}
