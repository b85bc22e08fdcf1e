/**
 * @module
 * Search in one collection: the index embeds the query with its hosted model and, on a hybrid
 * index, fuses dense and sparse (BM25) rankings (the default query mode). The filter is checked
 * here first; an error the index still finds in it is the caller's 400, not our 500.
 */
import type { Index, QueryResult } from '@upstash/vector/cloudflare'
import { GatewayError } from '../errors'
import type { CollectionRef } from './collections'
import { type Metadata, RESERVED_METADATA_KEYS } from './documents'
import { validateFilter } from './filter'

export type SearchOptions = {
  query: string
  topK: number
  filter?: string
  includeText: boolean
  /** Names the filter in error messages: `filter` or `retrieval.filter`. */
  filterParam: string
}

export type SearchHit = {
  score: number
  document_id: string
  chunk_index: number
  title?: string
  url?: string
  metadata: Metadata
  text?: string
}

type ChunkMetadata = Metadata & {
  document_id: string
  chunk_index: number
  title?: string
  url?: string
}

export async function searchCollection(
  index: Index,
  ref: CollectionRef,
  options: SearchOptions
): Promise<SearchHit[]> {
  const filter = options.filter?.trim() ?? ''
  validateFilter(filter, options.filterParam)
  let results: QueryResult<ChunkMetadata>[]
  try {
    results = await index.query<ChunkMetadata>(
      {
        data: options.query,
        topK: options.topK,
        ...(filter ? { filter } : {}),
        includeMetadata: true,
        includeData: options.includeText,
      },
      { namespace: ref.namespace }
    )
  } catch (error) {
    throw vectorQueryError(error, options.filterParam)
  }
  return results.flatMap((result) => {
    const metadata = result.metadata
    if (!metadata) return []
    return [
      {
        score: result.score,
        document_id: metadata.document_id,
        chunk_index: metadata.chunk_index,
        ...(metadata.title === undefined ? {} : { title: metadata.title }),
        ...(metadata.url === undefined ? {} : { url: metadata.url }),
        metadata: userMetadata(metadata),
        ...(options.includeText ? { text: result.data ?? '' } : {}),
      },
    ]
  })
}

function userMetadata(metadata: ChunkMetadata): Metadata {
  const reserved: readonly string[] = RESERVED_METADATA_KEYS
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !reserved.includes(key)))
}

/**
 * The index names a filter problem in its message (the live service and the stand-in both);
 * whatever else it rejects is the index failing us.
 */
function vectorQueryError(error: unknown, filterParam: string): GatewayError {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof Error && error.name === 'UpstashError' && /filter/i.test(message)) {
    return new GatewayError(400, message, { param: filterParam, code: 'invalid_filter' })
  }
  return new GatewayError(502, 'The vector index failed to answer the search.', {
    type: 'upstream_error',
    code: 'vector_unavailable',
    cause: error,
  })
}
