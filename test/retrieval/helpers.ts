import { Index } from '@upstash/vector'
import { inject } from 'vitest'
import { gatewayFetch } from '../helpers/gateway'

export type ApiAnswer = { status: number; body: Record<string, unknown> }

/** One JSON call to the gateway as a tenant. */
export async function api(
  apiKey: string,
  method: string,
  path: string,
  body?: unknown
): Promise<ApiAnswer> {
  const response = await gatewayFetch(`http://gateway${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** The gateway's own index in the Vector stand-in, to check what really is stored. */
export function gatewayIndex(): Index {
  return new Index({ url: inject('vectorRestUrl'), token: inject('vectorRestToken'), retry: false })
}

export function namespaceOf(tenantId: string, collection: string): string {
  return `rag-${tenantId}-${collection}`
}

/** Every vector id in a namespace (empty when the namespace does not exist). */
export async function vectorIds(tenantId: string, collection: string): Promise<string[]> {
  const namespace = gatewayIndex().namespace(namespaceOf(tenantId, collection))
  const ids: string[] = []
  let cursor = '0'
  do {
    const page = await namespace.range({ cursor, limit: 1000 })
    ids.push(...page.vectors.map((vector) => String(vector.id)))
    cursor = page.nextCursor
  } while (cursor !== '' && cursor !== '0')
  return ids.sort()
}

export const uniqueName = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`
