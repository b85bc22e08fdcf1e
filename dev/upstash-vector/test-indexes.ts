/**
 * Extra indexes the test stack serves next to the gateway's, one per setting the tests must
 * cover: each similarity function, each index type, and a text index for the `*-data` endpoints.
 */
import type { VectorIndexSettings } from './server.ts'

export const VECTOR_TEST_INDEXES: VectorIndexSettings[] = [
  { name: 'test-cosine', type: 'DENSE', dimension: 3, similarity: 'COSINE' },
  { name: 'test-euclidean', type: 'DENSE', dimension: 2, similarity: 'EUCLIDEAN' },
  { name: 'test-dot', type: 'DENSE', dimension: 2, similarity: 'DOT_PRODUCT' },
  {
    name: 'test-sparse',
    type: 'SPARSE',
    dimension: 0,
    similarity: 'DOT_PRODUCT',
    sparseModel: 'local-bm25',
  },
  { name: 'test-hybrid', type: 'HYBRID', dimension: 2, similarity: 'COSINE' },
  {
    name: 'test-text',
    type: 'DENSE',
    dimension: 384,
    similarity: 'COSINE',
    embeddingModel: 'local-hash-384',
  },
]

export type VectorTestIndex = { url: string; token: string; readonlyToken: string }
