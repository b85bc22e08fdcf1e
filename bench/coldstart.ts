/**
 * Cold start: a fresh workerd started through Miniflare, timed from the constructor to the first
 * answered request. workerd compiles and evaluates a Worker's modules before it listens, so the
 * gateway's time minus the trivial Worker's (alternating samples, medians) is what evaluating
 * the gateway's bundle in a fresh isolate costs, beyond starting the runtime itself.
 */
import { startWorker, type WorkerBundle } from './runtime.ts'
import { median } from './stats.ts'

export type ColdStart = { gatewayMs: number; trivialMs: number; samples: number }

type Subject = { bundle: WorkerBundle; vars: Record<string, string>; path: string }

export async function coldStart(
  gateway: Subject,
  trivial: Subject,
  samples: number
): Promise<ColdStart> {
  const times = { gateway: [] as number[], trivial: [] as number[] }
  for (let i = 0; i < samples; i += 1) {
    times.gateway.push(await startupMs(gateway))
    times.trivial.push(await startupMs(trivial))
  }
  return { gatewayMs: median(times.gateway), trivialMs: median(times.trivial), samples }
}

async function startupMs(subject: Subject): Promise<number> {
  const started = performance.now()
  const worker = await startWorker(subject.bundle, subject.vars)
  try {
    const response = await fetch(`${worker.url}${subject.path}`)
    await response.body?.cancel()
    return performance.now() - started
  } finally {
    await worker.close()
  }
}
