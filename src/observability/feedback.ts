/**
 * @module
 * Feedback on answers, for offline evaluation: `POST /v1/feedback` rates one of the tenant's own
 * requests (found by its kept record, so an id from another tenant or a made-up one is a 404),
 * and `GET /admin/tenants/:id/feedback` lists the ratings, each joined with its request's record,
 * as JSON, JSON Lines or CSV. Rating a request again replaces the earlier rating.
 */
import { Hono } from 'hono/tiny'
import * as z from 'zod/mini'
import type { GatewayDeps } from '../deps'
import type { AppEnv, TenantEnv } from '../env'
import { GatewayError } from '../errors'
import { readJsonBody } from '../lib/json-body'
import { lazy } from '../lib/lazy'
import { validate } from '../lib/validate'
import { existingTenant } from '../routes/admin/tenants'
import { feedbackIndex, feedbackItems, requestRecord } from '../upstash/keyspace'
import type { ObservabilitySettings } from './settings'

const MAX_LIST = 10_000
const DEFAULT_LIST = 1_000

export const FeedbackSchema = lazy(() =>
  z.strictObject({
    request_id: z.string().check(z.regex(/^[A-Za-z0-9._:-]{8,128}$/, 'must be a request id')),
    score: z.number(),
    comment: z.optional(z.string().check(z.maxLength(2000))),
    metadata: z.optional(
      z
        .record(
          z.string().check(z.minLength(1), z.maxLength(64)),
          z.union([z.string().check(z.maxLength(500)), z.number(), z.boolean()])
        )
        .check(z.refine((value) => Object.keys(value).length <= 20, 'at most 20 entries'))
    ),
  })
)

export const FeedbackQuerySchema = lazy(() =>
  z.strictObject({
    /** ISO times bounding when the feedback was given. */
    from: z.optional(z.iso.datetime()),
    to: z.optional(z.iso.datetime()),
    min_score: z.optional(numeric()),
    max_score: z.optional(numeric()),
    model: z.optional(z.string().check(z.minLength(1))),
    key_id: z.optional(z.string().check(z.minLength(1))),
    limit: z.optional(z.pipe(numeric(), z.int().check(z.minimum(1), z.maximum(MAX_LIST)))),
    format: z.optional(z.enum(['json', 'jsonl', 'csv'])),
  })
)

/** A query parameter that is a number, as the number. */
export function numeric() {
  return z.pipe(
    z.string().check(z.regex(/^-?\d+(\.\d+)?$/, 'must be a number')),
    z.transform(Number)
  )
}

/** What is stored per rating: the rating and the request it rates, for evaluation without joins. */
export type FeedbackItem = {
  request_id: string
  score: number
  comment?: string
  metadata?: Record<string, string | number | boolean>
  key_id: string
  created_at: string
  request: Record<string, unknown>
}

function checkScore(score: number, settings: ObservabilitySettings | undefined): void {
  const stars = settings?.feedback_scale === 'stars'
  const valid = stars
    ? Number.isInteger(score) && score >= 1 && score <= 5
    : score >= -1 && score <= 1
  if (!valid) {
    const range = stars ? 'a whole number from 1 to 5' : 'a number from -1 to 1'
    throw new GatewayError(400, `Invalid score: this tenant's scores are ${range}.`, {
      param: 'score',
      code: 'invalid_request',
    })
  }
}

export function feedbackRoutes({ redis, clock }: GatewayDeps): Hono<TenantEnv> {
  return new Hono<TenantEnv>().post('/', async (c) => {
    const { tenant, apiKey } = c.var
    const body = validate(FeedbackSchema(), await readJsonBody(c))
    checkScore(body.score, tenant.config.observability)
    const kept = await redis.get<Record<string, unknown> | string>(
      requestRecord(tenant.id, body.request_id)
    )
    // The client parses what it reads: text is a record it could not parse, as good as none.
    if (kept === null || typeof kept === 'string') {
      throw new GatewayError(404, `No request ${body.request_id} of this tenant is on record.`, {
        param: 'request_id',
        code: 'unknown_request',
      })
    }
    const request = kept
    const now = clock()
    const item: FeedbackItem = {
      request_id: body.request_id,
      score: body.score,
      ...(body.comment !== undefined && { comment: body.comment }),
      ...(body.metadata !== undefined && { metadata: body.metadata }),
      key_id: apiKey.id,
      created_at: new Date(now).toISOString(),
      request,
    }
    // One pipelined round trip: the rating, and its place in the time index.
    await Promise.all([
      redis.hset(feedbackItems(tenant.id), { [body.request_id]: JSON.stringify(item) }),
      redis.zadd(feedbackIndex(tenant.id), { score: now, member: body.request_id }),
    ])
    return c.json(item, 201)
  })
}

export function tenantFeedbackRoutes({ redis }: GatewayDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/', async (c) => {
    const tenant = await existingTenant(c, c.req.param('id') ?? '')
    const query = validate(FeedbackQuerySchema(), c.req.query(), 'query')
    const from = query.from ? Date.parse(query.from) : '-inf'
    const to = query.to ? Date.parse(query.to) : '+inf'
    const limit = query.limit ?? DEFAULT_LIST
    // Newest first; filters apply to the window the limit takes, documented as such.
    const ids = await redis.zrange<string[]>(feedbackIndex(tenant.id), to, from, {
      byScore: true,
      rev: true,
      offset: 0,
      count: limit,
    })
    const stored =
      ids.length > 0
        ? await redis.hmget<Record<string, FeedbackItem | string>>(feedbackItems(tenant.id), ...ids)
        : null
    const items = ids
      .map((id) => stored?.[id])
      .filter((value) => value !== null && value !== undefined)
      .map((value) => (typeof value === 'string' ? (JSON.parse(value) as FeedbackItem) : value))
      .filter(
        (item) =>
          (query.min_score === undefined || item.score >= query.min_score) &&
          (query.max_score === undefined || item.score <= query.max_score) &&
          (query.model === undefined || item.request.target === query.model) &&
          (query.key_id === undefined || item.key_id === query.key_id)
      )
    if (query.format === 'jsonl') {
      const lines = items.map((item) => `${JSON.stringify(item)}\n`).join('')
      return c.body(lines, 200, { 'content-type': 'application/x-ndjson; charset=utf-8' })
    }
    if (query.format === 'csv') {
      return c.body(toCsv(items), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="feedback-${tenant.id}.csv"`,
      })
    }
    return c.json({ tenant_id: tenant.id, data: items })
  })
}

const CSV_COLUMNS = [
  'created_at',
  'request_id',
  'score',
  'comment',
  'key_id',
  'model',
  'status',
  'input_tokens',
  'output_tokens',
  'total_ms',
  'metadata',
] as const

/** RFC 4180: every field quoted, quotes doubled; a leading formula character is neutralised. */
function toCsv(items: FeedbackItem[]): string {
  const rows = items.map((item) => {
    const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      created_at: item.created_at,
      request_id: item.request_id,
      score: item.score,
      comment: item.comment ?? '',
      key_id: item.key_id,
      model: item.request.target ?? '',
      status: item.request.status ?? '',
      input_tokens: item.request.input_tokens ?? '',
      output_tokens: item.request.output_tokens ?? '',
      total_ms: item.request.total_ms ?? '',
      metadata: item.metadata ? JSON.stringify(item.metadata) : '',
    }
    return CSV_COLUMNS.map((column) => csvField(values[column])).join(',')
  })
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`
}

function csvField(value: unknown): string {
  let text = String(value)
  // Spreadsheets run cells that start with = + - @ as formulas: a comment must not.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return `"${text.replaceAll('"', '""')}"`
}
