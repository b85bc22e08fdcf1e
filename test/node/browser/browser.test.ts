/**
 * A real browser (headless Chromium, driven by playwright-core) calls the gateway from a page on
 * another loopback origin, with the official `openai` SDK, as a web app would.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import type OpenAI from 'openai'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../../../dev/stack.ts'
import {
  adminJson,
  type Gateway,
  openAIBundle,
  PAGE,
  serve,
  startGateway,
  startStack,
} from './harness.ts'

type Outcome =
  | { ok: true; chunks: string[]; arrivals: number[] }
  | { ok: false; status: number | undefined; code: string | undefined; message: string }

type Call = { baseURL: string; apiKey: string; headers: Record<string, string> }

/** Runs in the page: stream one chat completion with the SDK and report what arrived. */
function streamInPage(page: Page, call: Call): Promise<Outcome> {
  return page.evaluate(async ({ baseURL, apiKey, headers }): Promise<Outcome> => {
    const { OpenAI: Client } = globalThis as unknown as { OpenAI: typeof OpenAI }
    const client = new Client({
      baseURL,
      apiKey,
      defaultHeaders: headers,
      dangerouslyAllowBrowser: true,
      maxRetries: 0,
    })
    try {
      const stream = await client.chat.completions.create({
        model: 'mock/mock-gpt:tokens=12,delay=20',
        stream: true,
        messages: [{ role: 'user', content: 'Tell me a short story.' }],
      })
      const chunks: string[] = []
      const arrivals: number[] = []
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content
        if (text) {
          chunks.push(text)
          arrivals.push(performance.now())
        }
      }
      return { ok: true, chunks, arrivals }
    } catch (error) {
      const failure = error as { status?: number; code?: string; message?: string }
      return {
        ok: false,
        status: failure.status,
        code: failure.code,
        message: String(failure.message),
      }
    }
  }, call)
}

/** The stack, a wrangler dev server and Chromium, on a machine other test runs share. */
const STARTUP_MS = 120_000

describe('a browser app on another origin', () => {
  let stack: Stack
  let gateway: Gateway
  let browser: Browser
  let app: Awaited<ReturnType<typeof serve>>
  let elsewhere: Awaited<ReturnType<typeof serve>>
  let idp: Awaited<ReturnType<typeof serve>>
  let tenantId: string
  let secret: string
  let jwksFetches = 0
  const idpKeys = generateKeyPair('RS256', { extractable: true })

  /** The tenant's backend: mints a client token with the secret key the browser never sees. */
  async function mint(key: string, body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${gateway.url}/v1/client_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const json = (await response.json()) as { token: string }
    if (response.status !== 200) throw new Error(`mint: ${JSON.stringify(json)}`)
    return json.token
  }

  /** How the page calls the gateway with a client token: no tenant header needed. */
  function asTokenHolder(token: string): Call {
    return { baseURL: `${gateway.url}/v1`, apiKey: token, headers: {} }
  }

  async function openPage(origin: string): Promise<Page> {
    const page = await browser.newPage()
    await page.goto(`${origin}/`)
    return page
  }

  beforeAll(async () => {
    stack = await startStack({})
    const [started, sdk] = await Promise.all([startGateway(stack), openAIBundle()])
    gateway = started
    const routes = {
      '/': (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE)
      },
      '/sdk.js': (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk)
      },
    }
    ;[app, elsewhere] = await Promise.all([serve(routes), serve(routes)])
    const { publicKey } = await idpKeys
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256' }
    idp = await serve({
      '/.well-known/jwks.json': (_req, res) => {
        jwksFetches += 1
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: [jwk] }))
      },
    })
    const tenant = await adminJson(gateway, '/admin/tenants', 'POST', {
      name: 'browser app',
      config: { end_users: { cors_origins: [app.origin] } },
    })
    tenantId = String(tenant.id)
    const key = await adminJson(gateway, `/admin/tenants/${tenantId}/keys`, 'POST', {})
    secret = String(key.secret)
    await adminJson(gateway, `/admin/tenants/${tenantId}`, 'PATCH', {
      config: {
        end_users: {
          cors_origins: [app.origin],
          jwt: {
            jwks_url: `${idp.origin}/.well-known/jwks.json`,
            issuer: idp.origin,
            audience: 'browser-app',
            key_id: String(key.id),
          },
        },
      },
    })
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  }, STARTUP_MS)

  afterAll(async () => {
    await browser?.close()
    await Promise.all([app?.close(), elsewhere?.close(), idp?.close()])
    await gateway?.stop()
    await stack?.close()
  }, STARTUP_MS)

  it('streams a chat completion with a client token, in several chunks', async () => {
    const page = await openPage(app.origin)
    const token = await mint(secret, { user: 'browser-user', ttl_seconds: 120 })
    const outcome = await streamInPage(page, asTokenHolder(token))
    if (!outcome.ok) throw new Error(`the page failed: ${JSON.stringify(outcome)}`)
    expect(outcome.chunks.length).toBeGreaterThanOrEqual(3)
    expect(outcome.chunks.join('').length).toBeGreaterThan(0)
    // Chunk by chunk, not one buffered body: the mock spaces them 20 ms apart.
    const first = outcome.arrivals[0] ?? 0
    expect((outcome.arrivals.at(-1) ?? 0) - first).toBeGreaterThan(60)
  })

  it('fails from an origin the tenant does not allow', async () => {
    const page = await openPage(elsewhere.origin)
    const token = await mint(secret, { user: 'browser-user', ttl_seconds: 120 })
    const outcome = await streamInPage(page, asTokenHolder(token))
    expect(outcome.ok).toBe(false)
    // The browser hides the response: the SDK sees only a connection error.
    expect(outcome.ok === false && outcome.status).toBeFalsy()
  })

  it('refuses an expired token, readably from the allowed page', async () => {
    const page = await openPage(app.origin)
    // A token never outlives its key: asked for an hour, this one ends with the key, in 3 s.
    const expiring = await adminJson(gateway, `/admin/tenants/${tenantId}/keys`, 'POST', {
      name: 'expiring',
      expires_at: new Date(Date.now() + 3_000).toISOString(),
    })
    const token = await mint(String(expiring.secret), { user: 'browser-user', ttl_seconds: 3600 })
    await new Promise((resolve) => setTimeout(resolve, 3_500))
    const outcome = await streamInPage(page, asTokenHolder(token))
    expect(outcome).toMatchObject({ ok: false, status: 401, code: 'expired_client_token' })
  })

  it('streams with a JWT from a local identity provider, and refuses an unknown kid without refetching', async () => {
    const page = await openPage(app.origin)
    const { privateKey } = await idpKeys
    const now = Math.floor(Date.now() / 1000)
    const claims = {
      sub: 'idp-user',
      iss: idp.origin,
      aud: 'browser-app',
      iat: now,
      exp: now + 300,
    }
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .sign(privateKey)
    const call = { baseURL: `${gateway.url}/v1`, headers: { 'x-gateway-tenant': tenantId } }
    const outcome = await streamInPage(page, { ...call, apiKey: jwt })
    if (!outcome.ok) throw new Error(`the page failed: ${JSON.stringify(outcome)}`)
    expect(outcome.chunks.length).toBeGreaterThanOrEqual(3)
    expect(jwksFetches).toBe(1)
    const again = await streamInPage(page, { ...call, apiKey: jwt })
    expect(again.ok).toBe(true)
    expect(jwksFetches).toBe(1)
    const stranger = await generateKeyPair('RS256')
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-2' })
      .sign(stranger.privateKey)
    const refused = await streamInPage(page, { ...call, apiKey: forged })
    expect(refused).toMatchObject({ ok: false, status: 401, code: 'unknown_signing_key' })
    // Within the cooldown an unknown kid costs no fetch: made-up kids cannot hammer the IdP.
    expect(jwksFetches).toBe(1)
  })
})
