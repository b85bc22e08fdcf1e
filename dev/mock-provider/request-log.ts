/**
 * What the mock provider received, for tests to assert on what a gateway sent upstream. A ring
 * buffer keeps memory bounded in long benchmark runs.
 */
import type { IncomingHttpHeaders } from 'node:http'

export type RequestLogEntry = {
  id: string
  time: string
  method: string
  path: string
  /** The model name without its control suffix. */
  model: string | null
  /** The model string exactly as sent, suffix included. */
  requestedModel: string | null
  tag: string | null
  stream: boolean
  /** The parsed JSON body (null when it did not parse or was larger than the log keeps). */
  body: unknown
  headerNames: string[]
  hasAuthorization: boolean
  hasApiKey: boolean
  /** HTTP status sent, once headers went out. */
  status: number | null
  /** The client went away before the response finished. */
  disconnected: boolean
  /** The response was sent in full. */
  completed: boolean
  /** The mock cut the stream on purpose (`cut` control). */
  cut: boolean
}

const MAX_LOGGED_BODY_BYTES = 256 * 1024

export class RequestLog {
  readonly #entries: Array<RequestLogEntry | undefined>
  #next = 0
  #count = 0
  #sequence = 0

  constructor(capacity = 5_000) {
    this.#entries = new Array(capacity)
  }

  open(method: string, path: string, headers: IncomingHttpHeaders): RequestLogEntry {
    this.#sequence += 1
    const entry: RequestLogEntry = {
      id: `req_${this.#sequence.toString().padStart(8, '0')}`,
      time: new Date().toISOString(),
      method,
      path,
      model: null,
      requestedModel: null,
      tag: null,
      stream: false,
      body: null,
      headerNames: Object.keys(headers),
      hasAuthorization: headers.authorization !== undefined,
      hasApiKey: headers['x-api-key'] !== undefined,
      status: null,
      disconnected: false,
      completed: false,
      cut: false,
    }
    this.#entries[this.#next] = entry
    this.#next = (this.#next + 1) % this.#entries.length
    this.#count = Math.min(this.#count + 1, this.#entries.length)
    return entry
  }

  /** Oldest first; all entries, or those carrying `tag`. */
  list(tag?: string): RequestLogEntry[] {
    const out: RequestLogEntry[] = []
    const start = (this.#next - this.#count + this.#entries.length) % this.#entries.length
    for (let i = 0; i < this.#count; i++) {
      const entry = this.#entries[(start + i) % this.#entries.length]
      if (entry && (tag === undefined || entry.tag === tag)) out.push(entry)
    }
    return out
  }

  /** Drops all entries, or those carrying `tag`; returns how many went. */
  clear(tag?: string): number {
    const kept = tag === undefined ? [] : this.list().filter((entry) => entry.tag !== tag)
    const removed = this.#count - kept.length
    this.#entries.fill(undefined)
    kept.forEach((entry, i) => {
      this.#entries[i] = entry
    })
    this.#count = kept.length
    this.#next = kept.length % this.#entries.length
    return removed
  }
}

export function loggableBody(body: unknown, bytes: number): unknown {
  return bytes <= MAX_LOGGED_BODY_BYTES ? body : null
}
