/** The part of autocannon's programmatic API the benchmark uses (it ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  type RawRequest = {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
  }

  export type Options = {
    url: string
    connections?: number
    duration?: number
    amount?: number
    overallRate?: number
    timeout?: number
    method?: string
    headers?: Record<string, string>
    requests?: Array<RawRequest & { setupRequest?: (request: RawRequest) => RawRequest }>
  }

  export type Result = { errors: number; timeouts: number; non2xx: number; duration: number }

  export type Instance = EventEmitter &
    PromiseLike<Result> & {
      on(
        event: 'response',
        listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void
      ): Instance
      stop(): void
    }

  export default function autocannon(options: Options): Instance
}
