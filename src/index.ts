import type { Hono } from 'hono/tiny'
import { createApp, createMisconfiguredApp } from './app'
import { loadConfig } from './config'
import { buildDeps } from './deps'
import type { AppEnv, Bindings } from './env'
import { GatewayError } from './errors'

/**
 * The Worker receives its bindings with each request, always the same object in one isolate: the
 * app and its dependencies are built on the first request and kept for the isolate's lifetime.
 */
const apps = new WeakMap<Bindings, Hono<AppEnv>>()

function appFor(env: Bindings): Hono<AppEnv> {
  let app = apps.get(env)
  if (!app) {
    try {
      app = createApp(buildDeps(loadConfig(env)))
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error
      app = createMisconfiguredApp(error)
    }
    apps.set(env, app)
  }
  return app
}

export default {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response> {
    return appFor(env).fetch(request, env, ctx)
  },
} satisfies ExportedHandler<Bindings>
