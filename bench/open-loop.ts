/**
 * An open-loop load generator: requests are sent on a fixed schedule (one every 1/rate s) no
 * matter how long earlier ones take, and each latency is measured from its scheduled send time,
 * so a target that falls behind shows the queueing (no coordinated omission). autocannon's
 * `overallRate` cannot do this: it lets each connection's quota out in bursts and waits for
 * answers, which is a closed loop with a cap.
 */
import { Agent, request } from 'node:http'

export type OpenLoopSpec = {
  url: string
  headers: Record<string, string>
  body: (sequence: number) => string
  rate: number
  /** Measured seconds; the warm-up runs before them at the same rate. */
  seconds: number
}

/**
 * Sent at the step's rate before anything is recorded: new keep-alive connections (and a
 * target's first requests at a new rate) would otherwise be the whole p99 of a short step.
 */
const WARM_UP_MS = 250

export type OpenLoopResult = { latencies: number[]; failed: number; sent: number }

/** How often the scheduler wakes to send what is due; below Node's timer granularity is moot. */
const TICK_MS = 1

let sequence = 0

export async function openLoop(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  const url = new URL(spec.url)
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
  const latencies: number[] = []
  let failed = 0
  const interval = 1000 / spec.rate
  const warmUp = Math.round(WARM_UP_MS / interval)
  const total = warmUp + Math.round(spec.rate * spec.seconds)
  const pending: Array<Promise<void>> = []
  const started = performance.now()
  const send = (scheduledAt: number, recorded: boolean) => {
    sequence += 1
    const body = spec.body(sequence)
    return new Promise<void>((resolve) => {
      const outgoing = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...spec.headers,
          },
        },
        (answer) => {
          answer.resume()
          answer.once('end', () => {
            if (recorded && answer.statusCode === 200) {
              latencies.push(performance.now() - scheduledAt)
            } else if (recorded) failed += 1
            resolve()
          })
        }
      )
      outgoing.once('error', () => {
        if (recorded) failed += 1
        resolve()
      })
      outgoing.end(body)
    })
  }
  try {
    for (let next = 0; next < total; ) {
      const now = performance.now()
      while (next < total && started + next * interval <= now) {
        pending.push(send(started + next * interval, next >= warmUp))
        next += 1
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS))
    }
    await Promise.all(pending)
  } finally {
    agent.destroy()
  }
  return { latencies, failed, sent: total - warmUp }
}
