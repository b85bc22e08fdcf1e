/**
 * Resumable queries: the search runs once, in full, and the ranked list is served in slices
 * until it is ended or sits idle for `maxIdle` seconds.
 */
import { randomUUID } from 'node:crypto'
import { badRequest, VectorError } from './errors.ts'
import type { WireRecord } from './records.ts'
import { asObject, readCount } from './requests.ts'
import { MAX_TOP_K, type VectorIndex } from './vector-index.ts'

type Session = { results: WireRecord[]; served: number; timer: NodeJS.Timeout }

const DEFAULT_MAX_IDLE_SECONDS = 3600

export class ResumableQueries {
  private readonly sessions = new Map<string, Session>()

  start(index: VectorIndex, namespace: string, body: unknown, viaData: boolean) {
    const request = asObject(body, 'resumable query body')
    const maxIdle = readCount(request, 'maxIdle', DEFAULT_MAX_IDLE_SECONDS, 86_400)
    const query = index.readQuery(request, viaData)
    const results = index.run(namespace, {
      ...query,
      search: { ...query.search, limit: Number.POSITIVE_INFINITY },
    })
    const uuid = randomUUID()
    const session: Session = { results, served: 0, timer: this.expiry(uuid, maxIdle) }
    this.sessions.set(uuid, session)
    return { uuid, scores: this.take(session, query.topK) }
  }

  next(body: unknown): WireRecord[] {
    const request = asObject(body, 'resumable-query-next body')
    const session = this.session(request.uuid)
    return this.take(session, readCount(request, 'additionalK', 10, MAX_TOP_K))
  }

  end(body: unknown): string {
    const uuid = asObject(body, 'resumable-query-end body').uuid
    const session = this.session(uuid)
    clearTimeout(session.timer)
    this.sessions.delete(String(uuid))
    return 'Success'
  }

  close(): void {
    for (const session of this.sessions.values()) clearTimeout(session.timer)
    this.sessions.clear()
  }

  private take(session: Session, count: number): WireRecord[] {
    const slice = session.results.slice(session.served, session.served + count)
    session.served += slice.length
    session.timer.refresh()
    return slice
  }

  private session(uuid: unknown): Session {
    if (typeof uuid !== 'string') throw badRequest('uuid must be a string')
    const session = this.sessions.get(uuid)
    if (!session)
      throw new VectorError(404, `Resumable query ${uuid} does not exist or has expired`)
    return session
  }

  private expiry(uuid: string, maxIdleSeconds: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.sessions.delete(uuid), maxIdleSeconds * 1000)
    timer.unref()
    return timer
  }
}
