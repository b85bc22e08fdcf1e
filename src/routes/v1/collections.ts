/**
 * @module
 * /v1/collections: a tenant's retrieval collections, their documents and search. Every route
 * resolves the collection under the calling tenant (from its key), so another tenant's
 * collection is simply not found.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import type { TenantEnv } from '../../env'
import { isRecord } from '../../lib/json'
import { readJsonBody } from '../../lib/json-body'
import { lazy } from '../../lib/lazy'
import { validate } from '../../lib/validate'
import {
  type CollectionRecord,
  CreateCollectionSchema,
  createCollection,
  deleteCollection,
  listCollections,
  requireCollection,
  vectorIndexOf,
} from '../../retrieval/collections'
import {
  DocumentCursor,
  type DocumentInput,
  DocumentInputSchema,
  type DocumentRecord,
  DocumentsSchema,
  deleteDocument,
  documentChunks,
  getDocument,
  ingestDocuments,
  listDocuments,
} from '../../retrieval/documents'
import { searchCollection } from '../../retrieval/search'
import { FilterText, TopK } from '../../retrieval/settings'
import { readUploadedDocuments } from '../../retrieval/upload'
import { getRedis } from '../../upstash/redis'

export const SearchSchema = lazy(() =>
  z.strictObject({
    query: z.string().check(z.trim(), z.minLength(1), z.maxLength(8000)),
    top_k: z._default(TopK(), 5),
    filter: z.optional(FilterText()),
    include_text: z._default(z.boolean(), false),
  })
)

export const ListQuerySchema = lazy(() =>
  z.object({
    cursor: z._default(DocumentCursor(), '0'),
    limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000)), 100),
  })
)

export const collectionsRoutes = new Hono<TenantEnv>()
  .post('/', async (c) => {
    const input = validate(CreateCollectionSchema(), await readJsonBody(c))
    vectorIndexOf(c.var.config)
    const record: CollectionRecord = { ...input, created_at: new Date().toISOString() }
    await createCollection(getRedis(c.var.config), c.var.tenant.id, record)
    return c.json(collectionView({ ...record, documents: 0 }), 201)
  })
  .get('/', async (c) => {
    const records = await listCollections(getRedis(c.var.config), c.var.tenant.id)
    return c.json({ object: 'list', data: records.map(collectionView) })
  })
  .get('/:collection', async (c) => {
    const ref = await collection(c)
    const documents = await getRedis(c.var.config).hlen(ref.documentsKey)
    return c.json(collectionView({ ...ref.record, documents }))
  })
  .delete('/:collection', async (c) => {
    const ref = await collection(c)
    const documents = await deleteCollection(
      getRedis(c.var.config),
      vectorIndexOf(c.var.config),
      ref
    )
    return c.json({ object: 'collection', name: ref.record.name, deleted: true, documents })
  })
  .post('/:collection/documents', async (c) => {
    const ref = await collection(c)
    const inputs = await documentInputs(c)
    const results = await ingestDocuments(
      getRedis(c.var.config),
      vectorIndexOf(c.var.config),
      ref,
      inputs
    )
    const count = (status: string) => results.filter((result) => result.status === status).length
    return c.json({
      object: 'list',
      data: results,
      created: count('created'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      chunks: results.reduce((sum, result) => sum + result.chunks, 0),
    })
  })
  .get('/:collection/documents', async (c) => {
    const ref = await collection(c)
    const query = validate(ListQuerySchema(), c.req.query())
    const page = await listDocuments(getRedis(c.var.config), ref, query.cursor, query.limit)
    return c.json({
      object: 'list',
      data: page.records.map(documentView),
      next_cursor: page.nextCursor,
    })
  })
  .get('/:collection/documents/:id', async (c) => {
    const ref = await collection(c)
    const record = await getDocument(getRedis(c.var.config), ref, c.req.param('id'))
    if (c.req.query('include_chunks') !== 'true') return c.json(documentView(record))
    const chunks = await documentChunks(vectorIndexOf(c.var.config), ref, record)
    return c.json({ ...documentView(record), chunk_texts: chunks })
  })
  .delete('/:collection/documents/:id', async (c) => {
    const ref = await collection(c)
    const redis = getRedis(c.var.config)
    const record = await getDocument(redis, ref, c.req.param('id'))
    await deleteDocument(redis, vectorIndexOf(c.var.config), ref, record)
    return c.json({
      object: 'collection.document',
      id: record.id,
      deleted: true,
      chunks: record.chunks,
    })
  })
  .post('/:collection/search', async (c) => {
    const ref = await collection(c)
    const input = validate(SearchSchema(), await readJsonBody(c))
    const results = await searchCollection(vectorIndexOf(c.var.config), ref, {
      query: input.query,
      topK: input.top_k,
      filter: input.filter,
      includeText: input.include_text,
      filterParam: 'filter',
    })
    return c.json({ object: 'list', collection: ref.record.name, data: results })
  })

function collection(c: Context<TenantEnv>) {
  return requireCollection(getRedis(c.var.config), c.var.tenant.id, c.req.param('collection') ?? '')
}

async function documentInputs(c: Context<TenantEnv>): Promise<DocumentInput[]> {
  if (/^multipart\/form-data\b/i.test(c.req.header('content-type') ?? '')) {
    return readUploadedDocuments(c)
  }
  const body = await readJsonBody(c)
  if (isRecord(body) && 'documents' in body) return validate(DocumentsSchema(), body).documents
  return [validate(DocumentInputSchema(), body)]
}

function collectionView(record: CollectionRecord & { documents: number }) {
  return {
    object: 'collection',
    name: record.name,
    description: record.description ?? null,
    chunk_size: record.chunk_size,
    chunk_overlap: record.chunk_overlap,
    documents: record.documents,
    created_at: record.created_at,
  }
}

function documentView(record: DocumentRecord) {
  return {
    object: 'collection.document',
    id: record.id,
    title: record.title ?? null,
    url: record.url ?? null,
    metadata: record.metadata,
    chunks: record.chunks,
    characters: record.characters,
    content_hash: record.content_hash,
    status: record.status,
    created_at: record.created_at,
    updated_at: record.updated_at,
  }
}
