import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import { buildDeps } from '../src/deps'
import { gatewayFetch } from './helpers/gateway'

/** Hono's `:name` and `:name{regex}` as OpenAPI's `{name}`. */
const openApiPath = (path: string) =>
  path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}').replace(/\/$/, '') || '/'

describe('GET /openapi.json', () => {
  it('is served without a key, as JSON, generated from the route schemas', async () => {
    const response = await gatewayFetch('http://gateway/openapi.json')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    const document = (await response.json()) as {
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }
        >
      >
    }
    const chat =
      document.paths['/v1/chat/completions']?.post?.requestBody?.content['application/json']?.schema
    expect(chat?.required).toEqual(expect.arrayContaining(['model', 'messages']))
    const messages =
      document.paths['/v1/messages']?.post?.requestBody?.content['application/json']?.schema
    expect(messages?.required).toEqual(expect.arrayContaining(['model', 'messages', 'max_tokens']))
  })

  it('covers every route the app serves, and nothing it does not', async () => {
    const response = await gatewayFetch('http://gateway/openapi.json')
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> }
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)
    )
    const app = createApp(buildDeps(loadConfig(env)))
    const served = app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${openApiPath(route.path)}`)
    expect(new Set(served).size).toBeGreaterThan(25)
    expect([...new Set(documented)].sort()).toEqual([...new Set(served)].sort())
  })
})
