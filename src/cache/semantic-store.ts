/**
 * @module
 * Semantic entries in Upstash Vector: one namespace per tenant, the index's hosted model embeds
 * the text (one round trip each way), and every entry carries the partition that must match
 * exactly before similarity counts. A vector's id is the exact hash of the request it was stored
 * for, so it points at that request's answer in Redis.
 */
import { type Index, QueryMode } from '@upstash/vector/cloudflare'

type SemanticMetadata = { partition: string }

export type SemanticMatch = { hash: string; score: number }

const namespaceName = (tenantId: string) => `cache-${tenantId}`

function cacheNamespace(index: Index, tenantId: string) {
  return index.namespace(namespaceName(tenantId))
}

/** The closest entry of the partition, if any. */
export async function findSimilar(
  index: Index,
  tenantId: string,
  text: string,
  partition: string
): Promise<SemanticMatch | undefined> {
  const [best] = await cacheNamespace(index, tenantId).query<SemanticMetadata>({
    data: text,
    topK: 1,
    // The partition is a hex digest: nothing in it can break out of the quoted literal.
    filter: `partition = '${partition}'`,
    // The gateway's index is hybrid: dense scores alone are comparable with a threshold.
    queryMode: QueryMode.DENSE,
  })
  return best ? { hash: String(best.id), score: best.score } : undefined
}

export async function saveSimilar(
  index: Index,
  tenantId: string,
  hash: string,
  text: string,
  partition: string
): Promise<void> {
  await cacheNamespace(index, tenantId).upsert<SemanticMetadata>({
    id: hash,
    data: text,
    metadata: { partition },
  })
}

export async function forgetSimilar(index: Index, tenantId: string, hash: string): Promise<void> {
  await cacheNamespace(index, tenantId).delete(hash)
}

/** Drops the tenant's whole namespace; returns how many vectors it held. */
export async function dropNamespace(index: Index, tenantId: string): Promise<number> {
  const name = namespaceName(tenantId)
  const held = (await index.info()).namespaces[name]
  if (!held) return 0
  await index.deleteNamespace(name)
  return held.vectorCount + held.pendingVectorCount
}
