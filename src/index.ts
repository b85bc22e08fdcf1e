import type { Hono } from 'hono/tiny'
import { createApp, createMisconfiguredApp } from './app'
import { loadConfig } from './config'
import { buildDeps } from './deps'
import type { AppEnv, Bindings } from './env'
import { GatewayError } from './errors'
import { sweepBackground } from './ingress/responses/background'
import { createJobConsumer } from './jobs/consumer'
import { jobHandlers } from './jobs/handlers'
import type { JobMessage } from './jobs/messages'
import { reportFailure } from './lib/log'

type Consumer = (batch: MessageBatch<JobMessage>, ctx: ExecutionContext) => Promise<void>
type Worker = { app: Hono<AppEnv>; consume: Consumer; sweep(): Promise<unknown> }

/** Must match `dead_letter_queue` in wrangler.toml. */
const DEAD_LETTER_QUEUE = 'gateway-jobs-dlq'

/** A misconfigured isolate keeps the jobs for a deployment that can run them. */
const MISCONFIGURED_RETRY_SECONDS = 300

/**
 * The Worker receives its bindings with each request, always the same object in one isolate: the
 * app, the queue consumer and their dependencies are built on first use and kept for the
 * isolate's lifetime.
 */
const workers = new WeakMap<Bindings, Worker>()

function workerFor(env: Bindings): Worker {
  let worker = workers.get(env)
  if (!worker) {
    try {
      const deps = buildDeps(loadConfig(env), { jobs: env.JOBS })
      worker = {
        app: createApp(deps),
        consume: createJobConsumer(jobHandlers(deps), {
          deadLetterQueue: DEAD_LETTER_QUEUE,
          report: deps.report,
        }),
        sweep: () => sweepBackground(deps),
      }
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error
      worker = {
        app: createMisconfiguredApp(error),
        consume: async (batch) => {
          reportFailure('job consumer', error)
          batch.retryAll({ delaySeconds: MISCONFIGURED_RETRY_SECONDS })
        },
        sweep: async () => reportFailure('background sweep', error),
      }
    }
    workers.set(env, worker)
  }
  return worker
}

export default {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response> {
    return workerFor(env).app.fetch(request, env, ctx)
  },
  queue(batch: MessageBatch<JobMessage>, env: Bindings, ctx: ExecutionContext): Promise<void> {
    return workerFor(env).consume(batch, ctx)
  },
  /** The cron trigger (wrangler.toml): re-enqueues background jobs whose message was lost. */
  async scheduled(_controller: ScheduledController, env: Bindings): Promise<void> {
    await workerFor(env).sweep()
  },
} satisfies ExportedHandler<Bindings, JobMessage>
