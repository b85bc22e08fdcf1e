/**
 * @module
 * Background responses in Redis, beside the stored response (`resp:<id>`, src/ingress/responses/
 * store.ts) under the tenant's prefix, so a tenant's erasure sweeps them too:
 *
 * - `resp:<id>:job`: a hash: `spec` (what to run, for whom), `status`, `response` (the Response
 *   object as it stands), `run` (how many times the run restarted), `emitted` (the terminal
 *   webhook event is on its way).
 * - `resp:<id>:events`: a list of the stream's events as produced; an event's index is its
 *   `sequence_number`, which is why events are stored without it.
 * - `resp:<id>:lease`: the owner token of the consumer running the job (SET NX PX, renewed).
 *
 * Outside the prefix, one sorted set indexes every unfinished job by the time it is overdue, for
 * the sweeper. Every status change goes through one Lua script that refuses a move the state
 * machine does not allow, so a cancel and a finishing run cannot both win.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import type { EndUser } from '../../end-users/types'
import { BACKGROUND_DUE, tenantPrefix } from '../../upstash/keyspace'
import { luaScript, runScript } from '../../upstash/scripts'
import type { ResponseObject, ResponseStatus, TerminalStatus } from './response-object'
import type { ResponsesRequest } from './schema'
import { type Owner, responseKey } from './store'

/** What a background job runs and for whom; written once at create. */
export type JobSpec = {
  request: ResponsesRequest
  keyId: string
  owner: Owner
  endUser?: EndUser
  hookId?: string
}

export type JobState = {
  spec: JobSpec
  status: ResponseStatus
  response: ResponseObject
  run: number
  emitted: boolean
}

/** A stream event as stored: its position in the list is its sequence number. */
export type StoredEvent = { type: string } & Record<string, unknown>

/** Where each status may go. `in_progress -> queued` restarts the run of a consumer that died. */
const MOVES: Record<ResponseStatus, readonly ResponseStatus[]> = {
  queued: ['in_progress', 'failed', 'cancelled'],
  in_progress: ['queued', 'completed', 'incomplete', 'failed', 'cancelled'],
  completed: [],
  incomplete: [],
  failed: [],
  cancelled: [],
}

export function canMove(from: ResponseStatus, to: ResponseStatus): boolean {
  return MOVES[from].includes(to)
}

export function isTerminal(status: ResponseStatus): status is TerminalStatus {
  return MOVES[status].length === 0
}

/** `response.completed` and the other events that end a response: one per terminal status. */
export function isTerminalEvent(event: StoredEvent): boolean {
  const status = event.type.startsWith('response.') ? event.type.slice('response.'.length) : ''
  return Object.hasOwn(MOVES, status) && isTerminal(status as ResponseStatus)
}

const UNFINISHED: readonly ResponseStatus[] = ['queued', 'in_progress']
const STATUSES = Object.keys(MOVES) as ResponseStatus[]

/** The statuses a move to `to` may start from. */
function sourcesOf(to: ResponseStatus): ResponseStatus[] {
  return STATUSES.filter((from) => canMove(from, to))
}

/** The events every background response starts with, written at create. */
export const CREATED_EVENTS = 2

const jobKey = (tenantId: string, id: string) => `${responseKey(tenantId, id)}:job`
const eventsKey = (tenantId: string, id: string) => `${responseKey(tenantId, id)}:events`
const leaseKey = (tenantId: string, id: string) => `${responseKey(tenantId, id)}:lease`

/** Every Redis key of one background response beyond `resp:<id>`, for deletion. */
export function backgroundKeys(tenantId: string, id: string): string[] {
  return [jobKey(tenantId, id), eventsKey(tenantId, id), leaseKey(tenantId, id)]
}

export function idempotencyRecordKey(tenantId: string, keyId: string, digest: string): string {
  return `${tenantPrefix(tenantId)}idem:${keyId}:${digest}`
}

const dueMember = (tenantId: string, id: string) => `${tenantId} ${id}`

/**
 * KEYS: job hash, events list, lease. ARGV: lease token ('' = not checked), lease ms, statuses
 * the job may be in (space-separated), new status ('' = unchanged), its Response object, events
 * to keep before appending (-1 = keep all; otherwise the run restarts), then the events.
 * Returns 1 when applied, 0 when refused (the lease is someone else's, or the status moved).
 */
const MOVE = luaScript(`
if ARGV[1] ~= '' and redis.call('get', KEYS[3]) ~= ARGV[1] then return 0 end
local status = redis.call('hget', KEYS[1], 'status')
if not status or not string.find(' ' .. ARGV[3] .. ' ', ' ' .. status .. ' ', 1, true) then
  return 0
end
local keep = tonumber(ARGV[6])
if keep >= 0 then
  redis.call('ltrim', KEYS[2], 0, keep - 1)
  redis.call('hincrby', KEYS[1], 'run', 1)
end
for i = 7, #ARGV do redis.call('rpush', KEYS[2], ARGV[i]) end
if ARGV[4] ~= '' then redis.call('hset', KEYS[1], 'status', ARGV[4], 'response', ARGV[5]) end
if ARGV[1] ~= '' then redis.call('pexpire', KEYS[3], ARGV[2]) end
return 1
`)

const RELEASE = luaScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return 1
`)

export type Move = {
  events?: readonly StoredEvent[]
  /** The new status and the Response object that goes with it. */
  to?: { status: ResponseStatus; response: ResponseObject }
  /** Drop the events of an earlier, interrupted run first. */
  restart?: boolean
}

export type BackgroundStore = ReturnType<typeof backgroundStore>

export function backgroundStore(redis: Redis) {
  function move(
    tenantId: string,
    id: string,
    lease: { token: string; ms: number } | undefined,
    change: Move
  ): Promise<boolean> {
    const from = change.to ? sourcesOf(change.to.status) : UNFINISHED
    return runScript<number>(
      redis,
      MOVE,
      [jobKey(tenantId, id), eventsKey(tenantId, id), leaseKey(tenantId, id)],
      [
        lease?.token ?? '',
        String(lease?.ms ?? 0),
        from.join(' '),
        change.to?.status ?? '',
        change.to ? JSON.stringify(change.to.response) : '',
        String(change.restart ? CREATED_EVENTS : -1),
        ...(change.events ?? []).map((event) => JSON.stringify(event)),
      ]
    ).then((applied) => applied === 1)
  }

  return {
    /** Issued in one tick with the caller's other writes: one pipelined request. */
    create(
      tenantId: string,
      id: string,
      job: { spec: JobSpec; response: ResponseObject; events: StoredEvent[] },
      retentionSeconds: number,
      dueAt: number
    ): Promise<unknown> {
      const key = jobKey(tenantId, id)
      const events = eventsKey(tenantId, id)
      return Promise.all([
        redis.hset(key, {
          spec: JSON.stringify(job.spec),
          status: job.response.status,
          response: JSON.stringify(job.response),
          run: 0,
        }),
        redis.expire(key, retentionSeconds),
        redis.rpush(events, ...job.events.map((event) => JSON.stringify(event))),
        redis.expire(events, retentionSeconds),
        redis.zadd(BACKGROUND_DUE, { score: dueAt, member: dueMember(tenantId, id) }),
      ])
    },

    async read(tenantId: string, id: string): Promise<JobState | undefined> {
      const fields = await redis.hgetall<Record<string, unknown>>(jobKey(tenantId, id))
      if (!fields?.spec || !fields.response || typeof fields.status !== 'string') return undefined
      return {
        spec: fields.spec as JobSpec,
        status: fields.status as ResponseStatus,
        response: fields.response as ResponseObject,
        run: Number(fields.run ?? 0),
        emitted: Number(fields.emitted ?? 0) === 1,
      }
    },

    /** The Response object as it stands, or undefined for a response that is not background. */
    async current(tenantId: string, id: string): Promise<ResponseObject | undefined> {
      return (await redis.hget<ResponseObject>(jobKey(tenantId, id), 'response')) ?? undefined
    },

    /** True when this token now holds the job's lease. */
    async claim(tenantId: string, id: string, token: string, ms: number): Promise<boolean> {
      return (await redis.set(leaseKey(tenantId, id), token, { nx: true, px: ms })) === 'OK'
    },

    async release(tenantId: string, id: string, token: string): Promise<void> {
      await runScript(redis, RELEASE, [leaseKey(tenantId, id)], [token])
    },

    /** As the lease holder: append events, change status, renew the lease. False: stop. */
    advance(
      tenantId: string,
      id: string,
      lease: { token: string; ms: number },
      change: Move
    ): Promise<boolean> {
      return move(tenantId, id, lease, change)
    },

    /** Without the lease (cancel, dead-lettered): ends the job unless it already ended. */
    settle(
      tenantId: string,
      id: string,
      response: ResponseObject,
      event: StoredEvent
    ): Promise<boolean> {
      return move(tenantId, id, undefined, {
        to: { status: response.status, response },
        events: [event],
      })
    },

    async markEmitted(tenantId: string, id: string): Promise<void> {
      await Promise.all([
        redis.hset(jobKey(tenantId, id), { emitted: 1 }),
        redis.zrem(BACKGROUND_DUE, dueMember(tenantId, id)),
      ])
    },

    /** When the sweeper should look at the job again if nothing finished it by then. */
    async due(tenantId: string, id: string, at: number): Promise<void> {
      await redis.zadd(BACKGROUND_DUE, { score: at, member: dueMember(tenantId, id) })
    },

    async forget(tenantId: string, id: string): Promise<void> {
      await redis.zrem(BACKGROUND_DUE, dueMember(tenantId, id))
    },

    /** Jobs overdue at `now`, oldest first. */
    async overdue(now: number, limit: number): Promise<{ tenantId: string; id: string }[]> {
      const members = await redis.zrange<string[]>(BACKGROUND_DUE, 0, now, {
        byScore: true,
        offset: 0,
        count: limit,
      })
      return members.flatMap((member) => {
        const [tenantId, id] = String(member).split(' ')
        return tenantId && id ? [{ tenantId, id }] : []
      })
    },

    /** The events after `after` (a sequence number, -1 for all) and the run they belong to. */
    async eventsAfter(
      tenantId: string,
      id: string,
      after: number
    ): Promise<{ events: StoredEvent[]; run: number }> {
      const [events, run] = await Promise.all([
        redis.lrange<StoredEvent>(eventsKey(tenantId, id), after + 1, -1),
        redis.hget<number>(jobKey(tenantId, id), 'run'),
      ])
      return { events, run: Number(run ?? 0) }
    },
  }
}
