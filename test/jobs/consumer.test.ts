import { describe, expect, it } from 'vitest'
import { createJobConsumer, type JobContext, type JobHandlers } from '../../src/jobs/consumer'
import type { JobMessage } from '../../src/jobs/messages'

type Settled = { id: string; ack?: true; retry?: number | undefined }

function batchOf(queue: string, bodies: JobMessage[], attempts = 1) {
  const settled: Settled[] = []
  const messages = bodies.map((body, index) => ({
    id: `m${index}`,
    timestamp: new Date(0),
    body,
    attempts,
    ack: () => settled.push({ id: `m${index}`, ack: true }),
    retry: (options?: { delaySeconds?: number }) =>
      settled.push({ id: `m${index}`, retry: options?.delaySeconds }),
  }))
  const batch = {
    queue,
    messages,
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    ackAll: () => {},
    retryAll: () => {},
  } as unknown as MessageBatch<JobMessage>
  return { batch, settled }
}

const ctx = { waitUntil: () => {}, passThroughOnException: () => {} } as unknown as ExecutionContext
const response: JobMessage = { kind: 'response', tenantId: 't', responseId: 'r' }
const delivery: JobMessage = { kind: 'delivery', tenantId: 't', endpointId: 'e', messageId: 'm' }

describe('job consumer', () => {
  it('settles each message by its own handler outcome', async () => {
    const seen: { kind: string; context: JobContext }[] = []
    const handlers: JobHandlers = {
      response: async (_job, context) => {
        seen.push({ kind: 'response', context })
        return { ack: true }
      },
      delivery: async (_job, context) => {
        seen.push({ kind: 'delivery', context })
        return { retrySeconds: 300 }
      },
    }
    const reports: string[] = []
    const consume = createJobConsumer(handlers, {
      deadLetterQueue: 'dlq',
      report: (what) => reports.push(what),
    })
    const { batch, settled } = batchOf('jobs', [response, delivery], 3)
    await consume(batch, ctx)
    expect(settled).toEqual([
      { id: 'm0', ack: true },
      { id: 'm1', retry: 300 },
    ])
    expect(seen.map((s) => [s.kind, s.context.attempts, s.context.deadLettered])).toEqual([
      ['response', 3, false],
      ['delivery', 3, false],
    ])
    expect(reports).toEqual([])
  })

  it('retries a message whose handler threw, without touching its neighbours', async () => {
    const reports: string[] = []
    const consume = createJobConsumer(
      {
        response: async () => {
          throw new Error('redis down')
        },
        delivery: async () => ({ ack: true }),
      },
      { deadLetterQueue: 'dlq', report: (what) => reports.push(what) }
    )
    const { batch, settled } = batchOf('jobs', [response, delivery])
    await consume(batch, ctx)
    expect(settled.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'm0', retry: undefined },
      { id: 'm1', ack: true },
    ])
    expect(reports).toEqual(['job response'])
  })

  it('tells handlers when a message came through the dead-letter queue', async () => {
    let deadLettered: boolean | undefined
    const consume = createJobConsumer(
      {
        response: async (_job, context) => {
          deadLettered = context.deadLettered
          return { ack: true }
        },
        delivery: async () => ({ ack: true }),
      },
      { deadLetterQueue: 'dlq', report: () => {} }
    )
    await consume(batchOf('dlq', [response]).batch, ctx)
    expect(deadLettered).toBe(true)
  })

  it('keeps a message of a kind this deployment does not know', async () => {
    const consume = createJobConsumer(
      { response: async () => ({ ack: true }), delivery: async () => ({ ack: true }) },
      { deadLetterQueue: 'dlq', report: () => {} }
    )
    const unknown = { kind: 'future' } as unknown as JobMessage
    const { batch, settled } = batchOf('jobs', [unknown])
    await consume(batch, ctx)
    expect(settled).toEqual([{ id: 'm0', retry: 60 }])
  })
})
