/**
 * @module
 * Collections: a tenant's named sets of documents. The record and the document records live in
 * Redis under the tenant's prefix (so tenant erasure removes them); the chunks live in a Vector
 * namespace of their own, named from the tenant id, so one tenant's queries can never reach
 * another's vectors.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { Index } from '@upstash/vector/cloudflare'
import * as z from 'zod/mini'
import type { GatewayConfig } from '../config'
import { GatewayError } from '../errors'
import { lazy } from '../lib/lazy'
import { tenantPrefix } from '../upstash/keyspace'
import { getVectorIndex } from '../upstash/vector'
import { COLLECTION_NAME, CollectionName } from './settings'

export const MAX_COLLECTIONS = 100

export const DEFAULT_CHUNK_SIZE = 400
export const DEFAULT_CHUNK_OVERLAP = 50

export const CreateCollectionSchema = lazy(() =>
  z
    .strictObject({
      name: CollectionName,
      description: z.optional(z.string().check(z.maxLength(1000))),
      /** Target chunk size in (estimated) tokens. */
      chunk_size: z._default(z.int().check(z.gte(50), z.lte(4000)), DEFAULT_CHUNK_SIZE),
      chunk_overlap: z._default(z.int().check(z.gte(0), z.lte(1000)), DEFAULT_CHUNK_OVERLAP),
    })
    .check(
      z.refine((input) => input.chunk_overlap * 2 <= input.chunk_size, {
        message: 'must be at most half of chunk_size',
        path: ['chunk_overlap'],
      })
    )
)

export type CollectionRecord = z.infer<ReturnType<typeof CreateCollectionSchema>> & {
  created_at: string
}

/** Where one tenant's collection is stored. */
export type CollectionRef = {
  tenantId: string
  record: CollectionRecord
  namespace: string
  documentsKey: string
}

export function collectionsKey(tenantId: string): string {
  return `${tenantPrefix(tenantId)}rag:collections`
}

function documentsKey(tenantId: string, collection: string): string {
  return `${tenantPrefix(tenantId)}rag:docs:${collection}`
}

/** Tenant ids have a fixed length, so the tenant/collection split is unambiguous. */
export function vectorNamespace(tenantId: string, collection: string): string {
  return `rag-${tenantId}-${collection}`
}

export function toRef(tenantId: string, record: CollectionRecord): CollectionRef {
  return {
    tenantId,
    record,
    namespace: vectorNamespace(tenantId, record.name),
    documentsKey: documentsKey(tenantId, record.name),
  }
}

export function vectorIndexOf(config: GatewayConfig): Index {
  if (!config.vector) {
    throw new GatewayError(
      503,
      'Retrieval is not available: this gateway has no Upstash Vector index configured (UPSTASH_VECTOR_REST_URL and UPSTASH_VECTOR_REST_TOKEN).',
      { code: 'retrieval_unavailable' }
    )
  }
  return getVectorIndex(config.vector)
}

export async function createCollection(
  redis: Redis,
  tenantId: string,
  record: CollectionRecord
): Promise<void> {
  const key = collectionsKey(tenantId)
  if ((await redis.hlen(key)) >= MAX_COLLECTIONS) {
    throw new GatewayError(400, `A tenant can have at most ${MAX_COLLECTIONS} collections.`, {
      code: 'too_many_collections',
    })
  }
  const created = await redis.hsetnx(key, record.name, JSON.stringify(record))
  if (created === 0) {
    throw new GatewayError(409, `Collection '${record.name}' already exists.`, {
      param: 'name',
      code: 'collection_exists',
    })
  }
}

export async function listCollections(
  redis: Redis,
  tenantId: string
): Promise<Array<CollectionRecord & { documents: number }>> {
  const all =
    (await redis.hgetall<Record<string, CollectionRecord>>(collectionsKey(tenantId))) ?? {}
  const records = Object.values(all).sort((a, b) => a.name.localeCompare(b.name))
  if (records.length === 0) return []
  const counts = redis.pipeline()
  for (const record of records) counts.hlen(documentsKey(tenantId, record.name))
  const documents = await counts.exec<number[]>()
  return records.map((record, i) => ({ ...record, documents: documents[i] ?? 0 }))
}

/** The caller's collection, or a 404 that says nothing about other tenants' collections. */
export async function requireCollection(
  redis: Redis,
  tenantId: string,
  name: string,
  param: string | null = null
): Promise<CollectionRef> {
  const record = COLLECTION_NAME.test(name)
    ? await redis.hget<CollectionRecord>(collectionsKey(tenantId), name)
    : null
  if (!record) {
    throw new GatewayError(404, `Collection '${name}' not found.`, {
      param,
      code: 'collection_not_found',
    })
  }
  return toRef(tenantId, record)
}

/** Vectors first: if that fails the collection is still listed and can be deleted again. */
export async function deleteCollection(
  redis: Redis,
  index: Index,
  ref: CollectionRef
): Promise<number> {
  await deleteNamespace(index, ref.namespace)
  const documents = await redis.hlen(ref.documentsKey)
  await redis
    .multi()
    .del(ref.documentsKey)
    .hdel(collectionsKey(ref.tenantId), ref.record.name)
    .exec()
  return documents
}

async function deleteNamespace(index: Index, namespace: string): Promise<void> {
  try {
    await index.deleteNamespace(namespace)
  } catch (error) {
    // A collection whose documents were all deleted (or never added) has no namespace.
    if (!(error instanceof Error && /does not exist/i.test(error.message))) throw error
  }
}
