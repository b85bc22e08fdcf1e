/**
 * Streamed chat completions timed from the client's side, which a load generator cannot see:
 * time to the first SSE data frame and to the end of the stream, one request at a time.
 */
import { median } from './stats.ts'

export type StreamTiming =
  | {
      ok: true
      /** `performance.now()` when the response headers arrived. */
      headersAt: number
      firstFrameMs: number
      /** To the first frame carrying text: later than the first frame when a role chunk leads. */
      firstTextMs: number
      totalMs: number
      /** ms between consecutive reads that carried a data frame: what a reader sees as jitter. */
      gapsMs: number[]
    }
  | { ok: false; error: string }

export async function timeStream(
  url: string,
  headers: Record<string, string>,
  body: string
): Promise<StreamTiming> {
  const started = performance.now()
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  const headersAt = performance.now()
  if (!response.ok || !response.body) {
    return { ok: false, error: `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}` }
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let firstFrameMs: number | undefined
  let firstTextMs: number | undefined
  let lastFrameAt: number | undefined
  const gapsMs: number[] = []
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (value.includes('data:')) {
      const now = performance.now()
      if (firstFrameMs === undefined) firstFrameMs = now - started
      if (firstTextMs === undefined && NON_EMPTY_CONTENT.test(value)) firstTextMs = now - started
      if (lastFrameAt !== undefined) gapsMs.push(now - lastFrameAt)
      lastFrameAt = now
    }
    text += value
  }
  const totalMs = performance.now() - started
  if (firstFrameMs === undefined || !text.includes('data: [DONE]')) {
    return { ok: false, error: `stream ended without [DONE]: ${text.slice(-200)}` }
  }
  return { ok: true, headersAt, firstFrameMs, firstTextMs: firstTextMs ?? totalMs, totalMs, gapsMs }
}

/** A chunk's delta with text in it (the role chunk's `"content":""` is not). */
const NON_EMPTY_CONTENT = /"content":"[^"]/

export type StreamTarget = {
  name: string
  url: string
  headers: Record<string, string>
  body: string
}

/**
 * Per-round medians (NaN for a round where every stream failed), aligned across targets, and
 * every inter-frame gap of every stream.
 */
export type StreamSeries = {
  firstFrame: number[]
  firstText: number[]
  total: number[]
  gaps: number[]
  failures: string[]
}

/** Round-robin over the targets, `perRound` streams each per round. */
export async function streamRounds(
  targets: StreamTarget[],
  rounds: number,
  perRound: number
): Promise<Map<string, StreamSeries>> {
  const series = targets.map(emptySeries)
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, target] of targets.entries()) {
      const timings: Array<{ firstFrameMs: number; firstTextMs: number; totalMs: number }> = []
      const gaps = series[index]?.gaps
      for (let i = 0; i < perRound; i += 1) {
        const timing = await timeStream(target.url, target.headers, target.body).catch(
          (error: unknown): StreamTiming => ({ ok: false, error: String(error) })
        )
        if (timing.ok) {
          timings.push(timing)
          gaps?.push(...timing.gapsMs)
        } else series[index]?.failures.push(timing.error)
      }
      series[index]?.firstFrame.push(median(timings.map((timing) => timing.firstFrameMs)))
      series[index]?.firstText.push(median(timings.map((timing) => timing.firstTextMs)))
      series[index]?.total.push(median(timings.map((timing) => timing.totalMs)))
    }
  }
  return new Map(targets.map((target, index) => [target.name, series[index] ?? emptySeries()]))
}

/** Median over rounds of `ours - theirs`, skipping rounds where either failed. */
export function addedPerRound(ours: number[], theirs: number[]): number {
  return median(
    ours.flatMap((value, round) => {
      const base = theirs[round]
      return base === undefined || Number.isNaN(value) || Number.isNaN(base) ? [] : [value - base]
    })
  )
}

export function emptySeries(): StreamSeries {
  return { firstFrame: [], firstText: [], total: [], gaps: [], failures: [] }
}
