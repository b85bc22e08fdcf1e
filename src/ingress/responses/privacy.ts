/**
 * @module
 * Export and erasure per end user (`user:<id>`, the `safety_identifier` or `user` a request
 * named) or per key (`key:<keyId>`, for requests that named no end user): every response and
 * conversation indexed under the subject, one admin call each. Erasure reports what it removed
 * and appends an audit record without content (when, a digest of the subject, the counts).
 *
 * Cached answers are keyed by a digest of the whole request, so one end user's cannot be told
 * apart: `?cache=purge` purges the tenant's cache along with the subject's data.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { Hono } from 'hono/tiny'
import { purgeTenantCache } from '../../cache/purge'
import type { GatewayDeps } from '../../deps'
import type { AppEnv } from '../../env'
import { GatewayError } from '../../errors'
import { sha256Hex } from '../../lib/crypto'
import { existingTenant } from '../../routes/admin/tenants'
import { backgroundKeys } from './background-store'
import type { Item } from './items'
import {
  conversationKey,
  erasureAuditKey,
  itemsKey,
  responseKey,
  type StoredConversation,
  type StoredResponse,
  subjectKey,
  summaryKey,
} from './store'

const SUBJECT = /^(?:user|key):[\x20-\x7e]{1,256}$/
const AUDIT_KEPT = 10_000

type Ref = { kind: 'resp' | 'conv'; id: string }

function subjectParam(value: string | undefined): string {
  if (value === undefined || !SUBJECT.test(value)) {
    throw new GatewayError(400, 'The subject must be user:<end user id> or key:<key id>.', {
      param: 'subject',
      code: 'invalid_request',
    })
  }
  return value
}

async function refsOf(redis: Redis, tenantId: string, subject: string): Promise<Ref[]> {
  const members = await redis.smembers(subjectKey(tenantId, subject))
  return members.flatMap((member): Ref[] => {
    const [kind, id] = member.split(':')
    return (kind === 'resp' || kind === 'conv') && id ? [{ kind, id }] : []
  })
}

export function subjectRoutes({ redis, vector }: GatewayDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/:subject/export', async (c) => {
      const tenant = await existingTenant(c, c.req.param('id') ?? '')
      const subject = subjectParam(c.req.param('subject'))
      const refs = await refsOf(redis, tenant.id, subject)
      const responses = refs.filter((ref) => ref.kind === 'resp')
      const conversations = refs.filter((ref) => ref.kind === 'conv')
      // Every read in one tick: one pipelined request, however many resources.
      const [stored, metas, items] = await Promise.all([
        Promise.all(
          responses.map((ref) => redis.get<StoredResponse>(responseKey(tenant.id, ref.id)))
        ),
        Promise.all(
          conversations.map((ref) =>
            redis.get<StoredConversation>(conversationKey(tenant.id, ref.id))
          )
        ),
        Promise.all(
          conversations.map((ref) =>
            redis.lrange<Item>(itemsKey(conversationKey(tenant.id, ref.id)), 0, -1)
          )
        ),
      ])
      return c.json({
        object: 'subject.export',
        subject,
        responses: stored.flatMap((record) =>
          record
            ? [{ response: record.response, input_items: record.history.slice(...record.input) }]
            : []
        ),
        conversations: metas.flatMap((meta, i) =>
          meta
            ? [
                {
                  conversation: {
                    id: meta.id,
                    object: meta.object,
                    created_at: meta.created_at,
                    metadata: meta.metadata,
                  },
                  items: items[i] ?? [],
                },
              ]
            : []
        ),
      })
    })
    .delete('/:subject', async (c) => {
      const tenant = await existingTenant(c, c.req.param('id') ?? '')
      const subject = subjectParam(c.req.param('subject'))
      const purgeCache = c.req.query('cache') === 'purge'
      const refs = await refsOf(redis, tenant.id, subject)
      const keys = refs.flatMap((ref) => {
        if (ref.kind === 'resp') {
          const key = responseKey(tenant.id, ref.id)
          // A background response's job (its request) and events (its output) go with it.
          return [key, summaryKey(key), ...backgroundKeys(tenant.id, ref.id)]
        }
        const key = conversationKey(tenant.id, ref.id)
        return [key, itemsKey(key), summaryKey(key)]
      })
      const conversationItems = await Promise.all(
        refs
          .filter((ref) => ref.kind === 'conv')
          .map((ref) => redis.llen(itemsKey(conversationKey(tenant.id, ref.id))))
      )
      const deleted = keys.length > 0 ? await redis.del(...keys) : 0
      await redis.del(subjectKey(tenant.id, subject))
      const cache = purgeCache ? await purgeTenantCache(redis, vector, tenant.id) : undefined
      const removed = {
        responses: refs.filter((ref) => ref.kind === 'resp').length,
        conversations: conversationItems.length,
        conversation_items: conversationItems.reduce((sum, n) => sum + n, 0),
        redis_entries: deleted,
        ...(cache
          ? {
              cache_exact_entries: cache.exact_entries,
              cache_semantic_entries: cache.semantic_entries,
            }
          : {}),
      }
      const audit = {
        at: new Date().toISOString(),
        subject_sha256: await sha256Hex(`${tenant.id}\u0000${subject}`),
        removed,
      }
      const auditKey = erasureAuditKey(tenant.id)
      await Promise.all([
        redis.lpush(auditKey, JSON.stringify(audit)),
        redis.ltrim(auditKey, 0, AUDIT_KEPT - 1),
      ])
      return c.json({ object: 'subject.deleted', subject, deleted: true, removed })
    })
}
