/**
 * @module
 * The Responses API's state routes and the Conversations API, under /v1, behind tenant auth.
 * Everything is scoped to the tenant (its Redis prefix) and to the key that created it: another
 * tenant's or key's id is a 404, the same answer as an id that never existed.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { GatewayDeps } from '../../deps'
import type { TenantEnv } from '../../env'
import { GatewayError } from '../../errors'
import { readJsonBody } from '../../lib/json-body'
import { SSE_HEADERS } from '../../lib/sse'
import { validate } from '../../lib/validate'
import { backgroundSweeper, cancelBackground, followEvents } from './background'
import { backgroundKeys, backgroundStore } from './background-store'
import { createResponse, notFound } from './create'
import { type Item, newId, toItems } from './items'
import { page } from './pagination'
import {
  AddItemsSchema,
  CreateConversationSchema,
  ListQuerySchema,
  RetrieveQuerySchema,
  UpdateConversationSchema,
} from './schema'
import {
  conversationKey,
  itemsKey,
  type LoadedConversation,
  loadConversation,
  loadResponse,
  type Owner,
  readableBy,
  responseKey,
  type StoredConversation,
  type StoredResponse,
  subjectKey,
  subjectOf,
  summaryKey,
} from './store'

type C = Context<TenantEnv>

const caller = (c: C): Owner => ({ keyId: c.var.apiKey.id })

export function responsesRoutes(deps: GatewayDeps): Hono<TenantEnv> {
  const { redis } = deps
  const background = backgroundStore(redis)
  const sweep = backgroundSweeper(deps)
  /** The stored response; a background one as it stands now (both read in one round trip). */
  async function owned(c: C): Promise<StoredResponse> {
    const id = c.req.param('id') ?? ''
    const [loaded, current] = await Promise.all([
      loadResponse(redis, c.var.tenant.id, id),
      background.current(c.var.tenant.id, id),
    ])
    if (!loaded || !readableBy(loaded.stored.owner, caller(c), false))
      throw notFound('response', id)
    return current ? { ...loaded.stored, response: current } : loaded.stored
  }
  return new Hono<TenantEnv>()
    .post('/', createResponse(deps, { sweep }))
    .get('/:id', async (c) => {
      const { response } = await owned(c)
      if (response.background) c.executionCtx.waitUntil(sweep())
      const query = validate(RetrieveQuerySchema(), c.req.query())
      if (query.stream !== 'true') return c.json(response)
      if (!response.background) {
        throw new GatewayError(400, 'Only background responses can be streamed again.', {
          param: 'stream',
          code: 'invalid_request',
        })
      }
      const after = query.starting_after ?? -1
      return c.body(followEvents(deps, c.var.tenant.id, response.id, after), 200, SSE_HEADERS)
    })
    .post('/:id/cancel', async (c) => {
      const { response } = await owned(c)
      if (!response.background) {
        throw new GatewayError(400, 'Only background responses can be cancelled.', {
          param: 'response_id',
          code: 'invalid_request',
        })
      }
      return c.json((await cancelBackground(deps, c.var.tenant.id, response.id)) ?? response)
    })
    .get('/:id/input_items', async (c) => {
      const stored = await owned(c)
      const query = validate(ListQuerySchema(), c.req.query())
      return c.json(page(stored.history.slice(...stored.input), query))
    })
    .delete('/:id', async (c) => {
      const stored = await owned(c)
      const tenantId = c.var.tenant.id
      const key = responseKey(tenantId, stored.response.id)
      await Promise.all([
        redis.del(key, summaryKey(key), ...backgroundKeys(tenantId, stored.response.id)),
        redis.srem(subjectKey(tenantId, subjectOf(stored.owner)), `resp:${stored.response.id}`),
      ])
      return c.json({ id: stored.response.id, object: 'response', deleted: true })
    })
}

export function conversationsRoutes({ redis }: GatewayDeps): Hono<TenantEnv> {
  async function owned(c: C, withItems = false): Promise<LoadedConversation> {
    const id = c.req.param('id') ?? ''
    const loaded = await loadConversation(redis, c.var.tenant.id, id, withItems)
    if (!loaded || !readableBy(loaded.conversation.owner, caller(c), false)) {
      throw notFound('conversation', id)
    }
    return loaded
  }
  const view = ({ owner: _, ...conversation }: StoredConversation) => conversation
  const keyOf = (c: C, id: string) => conversationKey(c.var.tenant.id, id)

  async function append(key: string, items: Item[]): Promise<void> {
    if (items.length > 0) await redis.rpush(itemsKey(key), ...items.map((i) => JSON.stringify(i)))
  }

  return new Hono<TenantEnv>()
    .post('/', async (c) => {
      const input = validate(CreateConversationSchema(), await readJsonBody(c, { optional: true }))
      const conversation: StoredConversation = {
        id: newId('conv'),
        object: 'conversation',
        created_at: Math.floor(Date.now() / 1000),
        metadata: input.metadata ?? {},
        owner: caller(c),
      }
      const key = keyOf(c, conversation.id)
      await Promise.all([
        redis.set(key, JSON.stringify(conversation)),
        append(key, toItems(input.items ?? [])),
        redis.sadd(
          subjectKey(c.var.tenant.id, subjectOf(conversation.owner)),
          `conv:${conversation.id}`
        ),
      ])
      return c.json(view(conversation))
    })
    .get('/:id', async (c) => c.json(view((await owned(c)).conversation)))
    .post('/:id', async (c) => {
      const { conversation } = await owned(c)
      const { metadata } = validate(UpdateConversationSchema(), await readJsonBody(c))
      const updated = { ...conversation, metadata }
      await redis.set(keyOf(c, conversation.id), JSON.stringify(updated))
      return c.json(view(updated))
    })
    .delete('/:id', async (c) => {
      const { conversation } = await owned(c)
      const key = keyOf(c, conversation.id)
      // Unlike OpenAI, deleting a conversation deletes its items and summary with it.
      await Promise.all([
        redis.del(key, itemsKey(key), summaryKey(key)),
        redis.srem(
          subjectKey(c.var.tenant.id, subjectOf(conversation.owner)),
          `conv:${conversation.id}`
        ),
      ])
      return c.json({ id: conversation.id, object: 'conversation.deleted', deleted: true })
    })
    .post('/:id/items', async (c) => {
      const { conversation } = await owned(c)
      const { items } = validate(AddItemsSchema(), await readJsonBody(c))
      const added = toItems(items)
      await append(keyOf(c, conversation.id), added)
      return c.json({
        object: 'list',
        data: added,
        first_id: added[0]?.id ?? null,
        last_id: added.at(-1)?.id ?? null,
        has_more: false,
      })
    })
    .get('/:id/items', async (c) => {
      const query = validate(ListQuerySchema(), c.req.query())
      return c.json(page((await owned(c, true)).items, query))
    })
    .get('/:id/items/:item', async (c) => {
      const id = c.req.param('item')
      const item = (await owned(c, true)).items.find((candidate) => candidate.id === id)
      if (!item) throw notFound('item', id)
      return c.json(item)
    })
    .delete('/:id/items/:item', async (c) => {
      const { conversation, items } = await owned(c, true)
      const id = c.req.param('item')
      const item = items.find((candidate) => candidate.id === id)
      if (!item) throw notFound('item', id)
      // Items were stored as JSON.stringify of these same objects: the text matches exactly.
      await redis.lrem(itemsKey(keyOf(c, conversation.id)), 1, JSON.stringify(item))
      return c.json(view(conversation))
    })
}
