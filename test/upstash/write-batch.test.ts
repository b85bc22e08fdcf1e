import { describe, expect, it } from 'vitest'
import { createWriteBatch, type RedisWriter } from '../../src/upstash/write-batch'
import { commandText, counterCommands } from '../helpers/counter-script'

/**
 * Records every command the counter script applies, in order; `failing` makes each call of a
 * flush reject, `refusing` names keys whose increments Redis refuses (a wrong type).
 */
function fakeRedis() {
  const commands: string[] = []
  const state = { failing: false, refusing: new Set<string>() }
  const run = (keys: string[], args: string[]) => {
    if (state.failing) return Promise.reject(new Error('ECONNREFUSED'))
    const refused: number[] = []
    counterCommands(keys, args).forEach((command, index) => {
      if (command.command !== 'EXPIRE' && state.refusing.has(command.key)) refused.push(index + 1)
      else commands.push(commandText(command))
    })
    return Promise.resolve(refused)
  }
  const redis = {
    eval: (_text: string, keys: string[], args: string[]) => run(keys, args),
    evalsha: (_sha: string, keys: string[], args: string[]) => run(keys, args),
  } as unknown as RedisWriter
  return { redis, commands, state }
}

/** A batch over `redis` whose reports are kept, with what they said. */
function reportingBatch(redis: RedisWriter, options: { maxBacklog?: number } = {}) {
  const reports: Array<{ what: string; detail?: Record<string, number> }> = []
  const batch = createWriteBatch({
    redis,
    report: (what, _error, detail) => reports.push({ what, detail }),
    flushAfterMs: 1,
    ...options,
  })
  return { batch, reports }
}

describe('write batch', () => {
  it('merges the increments of concurrent requests and issues every write in one burst', async () => {
    const { redis, commands } = fakeRedis()
    const reports: string[] = []
    const batch = createWriteBatch({ redis, report: (what) => reports.push(what), flushAfterMs: 1 })
    const written: string[] = []
    const opener = batch.count([{ key: 'spend', amount: 5 }], { spend: 60 })
    await batch.count(
      [
        { key: 'spend', amount: -2 },
        { key: 'u', field: 'f', amount: 1 },
      ],
      {}
    )
    await batch.write('refund', async () => void written.push('refund'))
    expect(commands).toEqual([])
    await opener
    expect(commands).toEqual(['INCRBY spend 3', 'HINCRBY u f 1', 'EXPIRE spend 60'])
    expect(written).toEqual(['refund'])
    expect(reports).toEqual([])
  })

  it('keeps refused increments, reports them, and writes them with the next batch', async () => {
    const { redis, commands, state } = fakeRedis()
    const { batch, reports } = reportingBatch(redis)
    state.failing = true
    await batch.count([{ key: 'spend', amount: 7 }], { spend: 60 })
    expect(batch.backlog()).toBe(1)
    expect(reports).toEqual([{ what: 'metering write', detail: { increments: 1, backlog: 1 } }])
    state.failing = false
    commands.length = 0
    await batch.count([{ key: 'spend', amount: 1 }], {})
    expect(commands).toEqual(['INCRBY spend 8', 'EXPIRE spend 60'])
    expect(batch.backlog()).toBe(0)
  })

  it('drops the oldest increments past its backlog bound, and says how many', async () => {
    const { redis, state } = fakeRedis()
    const { batch, reports } = reportingBatch(redis, { maxBacklog: 2 })
    state.failing = true
    await batch.count(
      ['a', 'b', 'c'].map((key) => ({ key, amount: 1 })),
      {}
    )
    expect(batch.backlog()).toBe(2)
    expect(reports.at(-1)).toEqual({ what: 'metering lost', detail: { increments: 1 } })
  })

  it('refuses a non-finite or fractional amount without losing the batch it would have joined', async () => {
    const { redis, commands } = fakeRedis()
    const batch = createWriteBatch({ redis, report: () => {}, flushAfterMs: 1 })
    // Opens the batch: its promise is the flush, which must still succeed.
    const written = batch.count([{ key: 'k', amount: 5 }], { k: 60 })
    for (const amount of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, 2 ** 64]) {
      await expect(batch.count([{ key: 'k', amount }], {})).rejects.toThrow(RangeError)
    }
    await expect(
      batch.count([{ key: 'k', field: 'f', amount: Number.NaN, float: true }], {})
    ).rejects.toThrow(/hash counter increment of NaN/)
    await written
    expect(commands).toEqual(['INCRBY k 5', 'EXPIRE k 60'])
  })

  it('reports the increments Redis itself refused as lost, and applies the rest of the batch', async () => {
    const { redis, commands, state } = fakeRedis()
    const { batch, reports } = reportingBatch(redis)
    state.refusing.add('b')
    await batch.count(
      [
        { key: 'a', amount: 1 },
        { key: 'b', field: 'f', amount: 2 },
      ],
      { a: 60 }
    )
    expect(commands).toEqual(['INCRBY a 1', 'EXPIRE a 60'])
    // A refusal of its own (a wrong type) would be refused again: it is not kept for ever.
    expect(batch.backlog()).toBe(0)
    expect(reports).toEqual([{ what: 'metering lost', detail: { increments: 1 } }])
  })
})
