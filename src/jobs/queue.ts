/**
 * @module
 * The producer side of the `JOBS` queue, as the rest of the code sees it. A deployment without
 * the binding cannot run background work: callers get a 503 that names the missing binding
 * rather than work that silently never runs.
 */
import { GatewayError } from '../errors'
import { attributeFailure } from '../upstash/dependency'
import type { JobMessage } from './messages'

export type JobQueue = {
  /** Resolves once the queue has accepted the message. */
  send(job: JobMessage, options?: { delaySeconds?: number }): Promise<void>
  sendBatch(jobs: readonly JobMessage[]): Promise<void>
}

/** Queues accept at most 100 messages per sendBatch call. */
const SEND_BATCH_LIMIT = 100

export function jobQueue(binding: Queue<JobMessage> | undefined): JobQueue {
  const queue = () => {
    if (binding) return binding
    throw new GatewayError(503, 'Background work is not available: the JOBS queue is not bound.', {
      type: 'server_error',
      code: 'jobs_unavailable',
      headers: { 'retry-after': '60' },
    })
  }
  // A refused send is the queue's outage, answered as a 503 like Redis's (src/upstash/dependency).
  const sent = (sending: Promise<unknown>) =>
    sending.then(
      () => undefined,
      (error: unknown) => {
        throw attributeFailure(error, 'queue')
      }
    )
  return {
    async send(job, options) {
      const delay = options?.delaySeconds ? { delaySeconds: options.delaySeconds } : {}
      await sent(queue().send(job, delay))
    },
    async sendBatch(jobs) {
      for (let start = 0; start < jobs.length; start += SEND_BATCH_LIMIT) {
        const bodies = jobs.slice(start, start + SEND_BATCH_LIMIT).map((body) => ({ body }))
        await sent(queue().sendBatch(bodies))
      }
    },
  }
}
