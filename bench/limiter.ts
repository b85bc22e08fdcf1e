/**
 * Limiter exactness: a burst of concurrent requests against a tenant limit (how many got in),
 * and a sustained run at a fixed rate below the limit (no request refused or failed, and the
 * workerd process's memory sampled every second).
 */
import { failures, runLoad } from './load.ts'
import { chatBody, type Target } from './overhead.ts'
import { residentBytes } from './processes.ts'

export type Burst = { sent: number; admitted: number; refused: number; other: number }

export async function burst(target: Target, requests: number): Promise<Burst> {
  const result = await runLoad({
    url: target.url,
    connections: requests,
    amount: requests,
    headers: target.headers,
    body: (sequence) => chatBody(target.model, sequence),
  })
  const admitted = result.statuses['200'] ?? 0
  const refused = result.statuses['429'] ?? 0
  return { sent: requests, admitted, refused, other: requests - admitted - refused }
}

export type Sustained = {
  seconds: number
  rate: number
  answered: number
  failures: number
  statuses: Record<string, number>
  rssStartBytes: number | undefined
  rssEndBytes: number | undefined
  rssMaxBytes: number | undefined
}

export async function sustained(
  target: Target,
  rate: number,
  seconds: number,
  workerdPid: number | undefined
): Promise<Sustained> {
  const samples: number[] = []
  const sample = () => {
    if (workerdPid !== undefined) samples.push(residentBytes(workerdPid))
  }
  sample()
  const timer = setInterval(sample, 1000)
  const result = await runLoad({
    url: target.url,
    connections: 8,
    durationSeconds: seconds,
    overallRate: rate,
    headers: target.headers,
    body: (sequence) => chatBody(target.model, sequence),
  }).finally(() => clearInterval(timer))
  sample()
  return {
    seconds,
    rate,
    answered: result.latencies.length,
    failures: failures(result),
    statuses: result.statuses,
    rssStartBytes: samples[0],
    rssEndBytes: samples.at(-1),
    rssMaxBytes: samples.length > 0 ? Math.max(...samples) : undefined,
  }
}
