/**
 * @module
 * Everything the isolate writes after its responses (usage and spend increments, refunds of
 * reservations, slot releases, cache stores), gathered for a few milliseconds and issued in one
 * synchronous burst, so `@upstash/redis` auto-pipelining sends it as one HTTP request. Increments
 * commute, so those of concurrent requests are merged first; then every increment and expiry of
 * the batch goes as one script call (one request's metrics alone are some 80 hash increments:
 * as commands they cost the client more CPU than the rest of the request's bookkeeping, and
 * Upstash bills each one). The request that opens a batch writes it from its own `waitUntil`, so
 * the isolate stays alive until the batch is written; no I/O crosses request contexts.
 *
 * Increments Redis refuses are kept and sent again with the next batch, so a short outage delays
 * usage and spend instead of losing them; past `maxBacklog` keys the oldest are dropped, loudly.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { luaScript, runScript } from './scripts'

export type CounterIncrement =
  /** INCRBY on a string counter. */
  | { key: string; amount: number; field?: undefined }
  /** HINCRBY, or HINCRBYFLOAT when `float`, on a hash field. */
  | { key: string; field: string; amount: number; float?: boolean }

export type RedisWriter = Pick<Redis, 'eval' | 'evalsha'>

/**
 * ARGV: the number of increments, then per increment its key's index in KEYS, its kind (`i`
 * INCRBY, `h` HINCRBY, `f` HINCRBYFLOAT), its field and its amount, then per expiry its key's
 * index and seconds. `pcall`, so one refused increment (a wrong type) fails alone: the script
 * answers the 1-based positions of those Redis refused.
 */
const COUNTERS = luaScript(`local failed = {}
local at = 2
for index = 1, tonumber(ARGV[1]) do
  local key, kind, field, amount = KEYS[tonumber(ARGV[at])], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  local result
  if kind == 'i' then result = redis.pcall('INCRBY', key, amount)
  elseif kind == 'h' then result = redis.pcall('HINCRBY', key, field, amount)
  else result = redis.pcall('HINCRBYFLOAT', key, field, amount) end
  if type(result) == 'table' and result.err then failed[#failed + 1] = index end
  at = at + 4
end
while at <= #ARGV do
  redis.pcall('EXPIRE', KEYS[tonumber(ARGV[at])], ARGV[at + 1])
  at = at + 2
end
return failed`)

export type WriteBatch = {
  /** Queues increments and the TTLs of their keys. */
  count(increments: CounterIncrement[], ttls: Record<string, number>): Promise<void>
  /** Queues one write that is not an increment, named for the failure log. */
  write(what: string, issue: () => Promise<unknown>): Promise<void>
  /** Increments waiting for Redis to answer again: non-zero means metering is behind. */
  backlog(): number
}

export type WriteBatchOptions = {
  redis: RedisWriter
  report(what: string, error: unknown, detail?: Record<string, number>): void
  /** Long enough for concurrent requests to share a flush, short against any read-back. */
  flushAfterMs?: number
  maxBacklog?: number
}

type Batch = {
  increments: Map<string, CounterIncrement>
  expiries: Map<string, number>
  writes: Array<{ what: string; issue: () => Promise<unknown> }>
}

export function createWriteBatch(options: WriteBatchOptions): WriteBatch {
  const { redis, report } = options
  const flushAfterMs = options.flushAfterMs ?? 10
  const maxBacklog = options.maxBacklog ?? 10_000
  const backlog = new Map<string, CounterIncrement>()
  const backlogExpiries = new Map<string, number>()
  let open: Batch | undefined

  function opened(): { batch: Batch; opener: boolean } {
    if (open) return { batch: open, opener: false }
    open = { increments: new Map(), expiries: new Map(), writes: [] }
    return { batch: open, opener: true }
  }

  function schedule(opener: boolean): Promise<void> {
    if (!opener) return Promise.resolve()
    return new Promise<void>((resolve) => setTimeout(resolve, flushAfterMs)).then(flush)
  }

  async function flush(): Promise<void> {
    const batch = open
    open = undefined
    if (!batch) return
    for (const increment of backlog.values()) merge(batch.increments, increment)
    for (const [key, seconds] of backlogExpiries) batch.expiries.set(key, seconds)
    backlog.clear()
    backlogExpiries.clear()
    // Everything below is issued before the first await: one auto-pipelined request.
    const increments = [...batch.increments.values()]
    const counted =
      increments.length > 0 || batch.expiries.size > 0
        ? refusedPositions(() => countAll(redis, increments, batch.expiries))
        : Promise.resolve([])
    const written = batch.writes.map(({ what, issue }) => ({ what, error: failure(issue) }))
    const refused = await counted
    if (refused === 'all') {
      // Nothing is known to have been applied: all of it goes again with the next batch.
      for (const increment of increments) merge(backlog, increment)
      if (backlog.size > 0) {
        for (const [key, seconds] of batch.expiries) backlogExpiries.set(key, seconds)
      }
    }
    for (const { what, error } of written) {
      const reason = await error
      if (reason !== undefined) report(what, reason)
    }
    if (refused === 'all' && increments.length > 0) {
      report('metering write', new Error('Redis refused counter increments'), {
        increments: increments.length,
        backlog: backlog.size,
      })
    } else if (refused !== 'all' && refused.length > 0) {
      // Redis refused these themselves (a key of the wrong type): sending them again would fail
      // again, for ever, so they are reported as lost instead of kept.
      report('metering lost', new Error('Redis refused counter increments'), {
        increments: refused.length,
      })
    }
    trimBacklog()
  }

  function trimBacklog(): void {
    let dropped = 0
    for (const id of backlog.keys()) {
      if (backlog.size <= maxBacklog) break
      backlog.delete(id)
      dropped++
    }
    if (dropped > 0) {
      report('metering lost', new Error('Metering backlog full'), { increments: dropped })
    }
  }

  return {
    count(increments, ttls) {
      // One bad amount would fail the whole pipeline, losing every request's increments with it:
      // refuse it here, so only its own request fails, and loudly, in that request's settle log.
      const invalid = increments.find((increment) => !validAmount(increment))
      if (invalid) {
        const kind = invalid.field === undefined ? 'counter' : 'hash counter'
        return Promise.reject(
          new RangeError(`Refused a ${kind} increment of ${invalid.amount}: not a finite number`)
        )
      }
      const { batch, opener } = opened()
      for (const increment of increments) merge(batch.increments, increment)
      for (const [key, seconds] of Object.entries(ttls)) batch.expiries.set(key, seconds)
      return schedule(opener)
    },
    write(what, issue) {
      const { batch, opener } = opened()
      batch.writes.push({ what, issue })
      return schedule(opener)
    },
    backlog: () => backlog.size,
  }
}

/** INCRBY and HINCRBY take 64-bit integers; HINCRBYFLOAT takes any finite number. */
function validAmount(increment: CounterIncrement): boolean {
  const float = increment.field !== undefined && increment.float === true
  return float ? Number.isFinite(increment.amount) : Number.isSafeInteger(increment.amount)
}

function merge(into: Map<string, CounterIncrement>, increment: CounterIncrement): void {
  if (increment.amount === 0) return
  const id = `${increment.key}\u0000${increment.field ?? ''}`
  const queued = into.get(id)
  if (queued) queued.amount += increment.amount
  else into.set(id, { ...increment })
}

function countAll(
  redis: RedisWriter,
  increments: CounterIncrement[],
  expiries: Map<string, number>
): Promise<number[]> {
  const keys: string[] = []
  const positions = new Map<string, number>()
  const position = (key: string) => {
    let at = positions.get(key)
    if (at === undefined) {
      at = keys.push(key)
      positions.set(key, at)
    }
    return String(at)
  }
  const args = [String(increments.length)]
  for (const increment of increments) {
    const { key, field, amount } = increment
    const kind = field === undefined ? 'i' : 'float' in increment && increment.float ? 'f' : 'h'
    args.push(position(key), kind, field ?? '', String(amount))
  }
  for (const [key, seconds] of expiries) args.push(position(key), String(seconds))
  return runScript<number[]>(redis, COUNTERS, keys, args)
}

/** The positions Redis refused, or `all` when the call itself failed (nothing is known). */
async function refusedPositions(issue: () => Promise<number[]>): Promise<number[] | 'all'> {
  try {
    return await issue()
  } catch {
    return 'all'
  }
}

/** Starts `issue` at once and resolves with its error, if any: nothing is left unhandled. */
async function failure(issue: () => Promise<unknown>): Promise<unknown> {
  try {
    await issue()
    return undefined
  } catch (error) {
    return error ?? new Error('Write failed')
  }
}
