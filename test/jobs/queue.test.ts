import { describe, expect, it } from 'vitest'
import type { JobMessage } from '../../src/jobs/messages'
import { jobQueue } from '../../src/jobs/queue'
import { dependencyUnavailable } from '../../src/upstash/dependency'

const job: JobMessage = { kind: 'response', tenantId: 't', responseId: 'r' }

describe('job queue', () => {
  it('turns a refused send into the 503 of a dependency that is down', async () => {
    const down = {
      send: () => Promise.reject(new Error('Queue send failed: internal error')),
      sendBatch: () => Promise.reject(new Error('Queue send failed: internal error')),
    } as unknown as Queue<JobMessage>
    for (const sending of [jobQueue(down).send(job), jobQueue(down).sendBatch([job])]) {
      const error = await sending.catch((caught: unknown) => caught)
      const answer = dependencyUnavailable(error)
      expect(answer?.status).toBe(503)
      expect(answer?.code).toBe('queue_unavailable')
      expect(answer?.headers['retry-after']).toBe('1')
    }
  })

  it('sends batches of at most 100, the most Queues accepts in one call', async () => {
    const sizes: number[] = []
    const queue = {
      sendBatch: async (messages: unknown[]) => {
        sizes.push(messages.length)
      },
    } as unknown as Queue<JobMessage>
    await jobQueue(queue).sendBatch(Array.from({ length: 250 }, () => job))
    expect(sizes).toEqual([100, 100, 50])
  })

  it('is a 503 naming the missing binding when the Worker has no queue', async () => {
    await expect(jobQueue(undefined).send(job)).rejects.toMatchObject({
      status: 503,
      code: 'jobs_unavailable',
    })
  })
})
