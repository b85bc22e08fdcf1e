/** OpenAI's cursor lists: `order` (default `desc`, newest first), `after` an item id, `limit`. */
import { GatewayError } from '../../errors'

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 100

export type ListQuery = { limit?: number; order?: 'asc' | 'desc'; after?: string }

export function page<T extends { id: string }>(items: readonly T[], query: ListQuery) {
  const limit = query.limit ?? DEFAULT_LIMIT
  if (limit < 1 || limit > MAX_LIMIT) {
    throw new GatewayError(400, `Invalid limit: must be an integer from 1 to ${MAX_LIMIT}.`, {
      param: 'limit',
      code: 'invalid_request',
    })
  }
  const ordered = query.order === 'asc' ? items : [...items].reverse()
  let start = 0
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after)
    if (at === -1) {
      throw new GatewayError(400, `No item with id '${query.after}' in this list.`, {
        param: 'after',
        code: 'invalid_request',
      })
    }
    start = at + 1
  }
  const data = ordered.slice(start, start + limit)
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  }
}
