/** The endpoints, as the SDK names them, and whether each one writes (read-only tokens may not). */
import type { ResumableQueries } from './resumable.ts'
import type { VectorIndex } from './vector-index.ts'

export type RouteContext = {
  index: VectorIndex
  resumable: ResumableQueries
  namespace: string
  body: unknown
  /** `reset?all` */
  all: boolean
}

type Route = { writes: boolean; run(context: RouteContext): unknown }

export const ROUTES: Record<string, Route> = {
  upsert: { writes: true, run: (c) => c.index.upsert(c.namespace, c.body, false) },
  'upsert-data': { writes: true, run: (c) => c.index.upsert(c.namespace, c.body, true) },
  update: { writes: true, run: (c) => c.index.update(c.namespace, c.body) },
  delete: { writes: true, run: (c) => c.index.delete(c.namespace, c.body) },
  reset: {
    writes: true,
    run: (c) => (c.all ? c.index.resetAll() : c.index.reset(c.namespace)),
  },
  'delete-namespace': { writes: true, run: (c) => c.index.deleteNamespace(c.namespace) },
  query: { writes: false, run: (c) => c.index.query(c.namespace, c.body, false) },
  'query-data': { writes: false, run: (c) => c.index.query(c.namespace, c.body, true) },
  fetch: { writes: false, run: (c) => c.index.fetch(c.namespace, c.body) },
  range: { writes: false, run: (c) => c.index.range(c.namespace, c.body) },
  info: { writes: false, run: (c) => c.index.info() },
  'list-namespaces': { writes: false, run: (c) => c.index.listNamespaces() },
  'resumable-query': {
    writes: false,
    run: (c) => c.resumable.start(c.index, c.namespace, c.body, false),
  },
  'resumable-query-data': {
    writes: false,
    run: (c) => c.resumable.start(c.index, c.namespace, c.body, true),
  },
  'resumable-query-next': { writes: false, run: (c) => c.resumable.next(c.body) },
  'resumable-query-end': { writes: false, run: (c) => c.resumable.end(c.body) },
}
