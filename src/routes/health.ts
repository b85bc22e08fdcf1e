import { Hono } from 'hono/tiny'
import type { AppEnv } from '../env'

/** Liveness only: it must answer even when Redis or a provider is down, and it needs no key. */
export const healthRoutes = new Hono<AppEnv>().get('/healthz', (c) =>
  c.json({ status: 'ok', time: new Date().toISOString() })
)
