/**
 * @module
 * The queue consumer: each message goes to the handler for its kind, which says what becomes of
 * it. Messages are settled one by one (`ack` / `retry`), never the batch as a whole, so one
 * failing job does not send its neighbours round again. A handler that throws is retried with
 * the queue's own delay; once `max_retries` is spent the queue moves the message to the
 * dead-letter queue, where the same handlers see it with `deadLettered` set.
 */
import type { JobKind, JobMessage } from './messages'

/** `retry` with a delay in seconds (Queues allows up to 24 h); `ack` ends the message. */
export type JobOutcome = { ack: true } | { retrySeconds: number }

export type JobContext = {
  /** 1 on the first delivery; Queues counts redeliveries and retries alike. */
  attempts: number
  /** The message arrived through the dead-letter queue: this is its last chance. */
  deadLettered: boolean
  waitUntil(promise: Promise<unknown>): void
}

export type JobHandlers = {
  [K in JobKind]: (
    job: Extract<JobMessage, { kind: K }>,
    context: JobContext
  ) => Promise<JobOutcome>
}

/** Unknown kinds (a message from a newer deployment) are kept for a later consumer. */
const UNKNOWN_KIND_RETRY_SECONDS = 60

export function createJobConsumer(
  handlers: JobHandlers,
  options: { deadLetterQueue: string; report(what: string, error: unknown): void }
): (batch: MessageBatch<JobMessage>, ctx: ExecutionContext) => Promise<void> {
  return async function consumeJobs(batch, ctx) {
    const deadLettered = batch.queue === options.deadLetterQueue
    await Promise.all(
      batch.messages.map(async (message) => {
        const job = message.body
        const handler = handlers[job.kind] as
          | ((job: JobMessage, context: JobContext) => Promise<JobOutcome>)
          | undefined
        if (!handler) {
          message.retry({ delaySeconds: UNKNOWN_KIND_RETRY_SECONDS })
          return
        }
        try {
          const outcome = await handler(job, {
            attempts: message.attempts,
            deadLettered,
            waitUntil: (promise) => ctx.waitUntil(promise),
          })
          if ('ack' in outcome) message.ack()
          else message.retry({ delaySeconds: outcome.retrySeconds })
        } catch (error) {
          options.report(`job ${job.kind}`, error)
          message.retry()
        }
      })
    )
  }
}
