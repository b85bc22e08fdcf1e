/**
 * The gateway over real HTTP for a real browser: the local stack, the Worker under `wrangler dev`
 * (`unstable_dev`) on a loopback port, and small loopback servers for the pages, the tenant's
 * backend and a local identity provider. The vitest workerd pool serves no port, so this runs in
 * Node (the `browser` vitest project).
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { unstable_dev } from 'wrangler'
import { type Stack, startStack } from '../../../dev/stack.ts'

export type Gateway = { url: string; adminToken: string; stop(): Promise<void> }

export async function startGateway(stack: Stack): Promise<Gateway> {
  // Offline machines: wrangler would try to send usage metrics.
  process.env.WRANGLER_SEND_METRICS = 'false'
  const adminToken = `adm-${randomBytes(16).toString('hex')}`
  const mock = stack.mockProviderUrl ?? ''
  const worker = await unstable_dev('src/index.ts', {
    config: 'wrangler.toml',
    ip: '127.0.0.1',
    port: 0,
    logLevel: 'error',
    vars: {
      ENVIRONMENT: 'development',
      ADMIN_TOKEN: adminToken,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ALLOW_LOOPBACK_UPSTREAMS: 'true',
      UPSTASH_REDIS_REST_URL: stack.redis.url,
      UPSTASH_REDIS_REST_TOKEN: stack.redis.token,
      MOCK_PROVIDER_URL: mock,
      OPENAI_BASE_URL: `${mock}/v1`,
      OPENAI_API_KEY: 'test-openai-key',
    },
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true, watch: false },
  })
  return { url: `http://127.0.0.1:${worker.port}`, adminToken, stop: () => worker.stop() }
}

export { startStack }

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** A loopback HTTP server answering by path; its origin is its URL. */
export async function serve(
  routes: Record<string, Route>
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname]
    if (!route) {
      res.writeHead(404).end()
      return
    }
    Promise.resolve(route(req, res)).catch((error: unknown) => {
      res.writeHead(500).end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The official `openai` SDK bundled for the page, exposed as `window.OpenAI`. */
export async function openAIBundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "import OpenAI from 'openai'; window.OpenAI = OpenAI",
      resolveDir: process.cwd(),
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  })
  const [output] = result.outputFiles
  if (!output) throw new Error('esbuild produced no bundle')
  return output.text
}

export const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script src="/sdk.js"></script></head><body>chat</body></html>`

export async function adminJson(
  gateway: Gateway,
  path: string,
  method: string,
  body: unknown
): Promise<Record<string, unknown>> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${gateway.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}
