/**
 * The admin dashboard in a real browser: headless Chromium opens /admin/dashboard from the
 * gateway under wrangler dev (the page and its script are static assets, the numbers come from
 * the Worker's admin API on the same origin), logs in with the admin token, and reads back the
 * traffic this test sent, in the totals, the charts' data and the tables.
 * With UPDATE_SCREENSHOT=1 (or when it is missing) it saves README's screenshot.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDashboard } from '../../../dev/dashboard.ts'
import type { Stack } from '../../../dev/stack.ts'
import { adminJson, type Gateway, startGateway, startStack } from './harness.ts'

const STARTUP_MS = 120_000
const SCREENSHOT = 'test/node/browser/dashboard.png'

/** What the test reads of a canvas in the page (this Node project has no DOM types). */
type Canvas = {
  width: number
  height: number
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> }
  } | null
}

type Sent = { model: string; content: string; stream?: boolean }

describe('the admin dashboard', () => {
  let stack: Stack
  let gateway: Gateway
  let browser: Browser
  let acme: string
  let globex: string
  /** What Chromium reported as errors on the open pages: a script or style CSP refused, say. */
  const problems = new Map<Page, string[]>()

  async function chat(secret: string, sent: Sent): Promise<number> {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: sent.model,
        stream: sent.stream === true,
        messages: [{ role: 'user', content: sent.content }],
      }),
    })
    await response.text()
    return response.status
  }

  async function tenantWithKey(name: string, config: Record<string, unknown>) {
    const tenant = await adminJson(gateway, '/admin/tenants', 'POST', { name, config })
    const key = await adminJson(gateway, `/admin/tenants/${tenant.id}/keys`, 'POST', {})
    return { id: String(tenant.id), secret: String(key.secret) }
  }

  /** The write batch flushes after the responses: wait until the counts are in. */
  async function countedRequests(tenant: string, expected: number): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const response = await fetch(
        `${gateway.url}/admin/metrics/series?tenant=${tenant}&period=minute`,
        { headers: { authorization: `Bearer ${gateway.adminToken}` } }
      )
      const series = (await response.json()) as { total: { requests: number } }
      if (series.total.requests >= expected) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`the metrics of ${tenant} never reached ${expected} requests`)
  }

  beforeAll(async () => {
    await buildDashboard()
    stack = await startStack({})
    gateway = await startGateway(stack)
    const a = await tenantWithKey('Acme', {
      cache: { enabled: true },
      budget: { monthly_soft_usd: 0.0001, monthly_hard_usd: 1 },
    })
    const g = await tenantWithKey('Globex', {})
    acme = a.id
    globex = g.id
    const cached: Sent = { model: 'mock/mock-gpt', content: 'What is the capital of France?' }
    const statuses = [await chat(a.secret, cached)]
    // Sequential, so the three repeats find the first answer stored.
    for (let i = 0; i < 3; i++) statuses.push(await chat(a.secret, cached))
    const rest: Sent[] = [
      ...Array.from({ length: 5 }, (_, i) => ({
        model: 'mock/mock-gpt',
        content: `Question ${i}`,
      })),
      { model: 'mock/mock-gpt:tokens=20', content: 'Stream a story', stream: true },
      { model: 'mock/mock-gpt:status=500', content: 'This upstream fails' },
      { model: 'mock/mock-gpt:status=400', content: 'This upstream refuses' },
    ]
    statuses.push(...(await Promise.all(rest.map((sent) => chat(a.secret, sent)))))
    statuses.push(
      await chat(g.secret, { model: 'mock/mock-small', content: 'Hello' }),
      await chat(g.secret, { model: 'mock/mock-small', content: 'Hello again' })
    )
    expect(statuses.filter((status) => status >= 400)).toHaveLength(2)
    await Promise.all([countedRequests(acme, 12), countedRequests(globex, 2)])
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  }, STARTUP_MS)

  afterAll(async () => {
    await browser?.close()
    await gateway?.stop()
    await stack?.close()
  }, STARTUP_MS)

  async function openDashboard(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const reported: string[] = []
    problems.set(page, reported)
    page.on('console', (message) => {
      if (message.type() === 'error') reported.push(message.text())
    })
    page.on('pageerror', (error) => reported.push(error.message))
    const response = await page.goto(`${gateway.url}/admin/dashboard`)
    expect(response?.status()).toBe(200)
    return page
  }

  async function logIn(page: Page, token: string): Promise<void> {
    await page.fill('#token', token)
    await page.click('#login button[type=submit]')
  }

  const stat = (page: Page, id: string) =>
    page.textContent(`[data-stat="${id}"] .value`).then((text) => text?.trim())

  /** A chart's numbers as the page gave them to uPlot: its data table, column by column. */
  async function chartColumn(page: Page, chart: string, column: number): Promise<number[]> {
    return page.$$eval(
      `[data-chart-table="${chart}"] tbody tr`,
      (rows, index) => rows.map((row) => Number(row.children[index]?.textContent || 0)),
      column
    )
  }

  it('refuses a wrong admin token and keeps the token out of storage and cookies', async () => {
    const page = await openDashboard()
    await logIn(page, 'not-the-token')
    await page.waitForSelector('#login-error:has-text("refused")')
    expect(await page.isVisible('#dashboard')).toBe(false)
    await logIn(page, gateway.adminToken)
    await page.waitForSelector('[data-stat="requests"]')
    const kept = await page.evaluate(() => ({
      local: Object.keys(localStorage).length,
      session: Object.keys(sessionStorage).length,
    }))
    expect(kept).toEqual({ local: 0, session: 0 })
    expect(await page.context().cookies()).toEqual([])
    // Reloading forgets the token: the login form again.
    await page.reload()
    expect(await page.isVisible('#login')).toBe(true)
    expect(await page.isVisible('#dashboard')).toBe(false)
    await page.close()
  })

  it('shows every tenant together, then one tenant, with the counts the test sent', async () => {
    const page = await openDashboard()
    await logIn(page, gateway.adminToken)
    await page.waitForSelector('[data-stat="requests"]')
    expect(await stat(page, 'requests')).toBe('14')
    expect(await stat(page, 'errors')).toBe('2')

    await page.selectOption('#tenant', acme)
    await page.selectOption('#period', 'minute')
    await page.click('#controls button[type=submit]')
    await page.waitForSelector(`#status:has-text("${acme}")`)
    expect(await stat(page, 'requests')).toBe('12')
    expect(await stat(page, 'errors')).toBe('2')
    // Three hits of ten answers looked up (the two failures never reached the cache's verdict).
    const series = (await (
      await fetch(`${gateway.url}/admin/metrics/series?tenant=${acme}&period=minute`, {
        headers: { authorization: `Bearer ${gateway.adminToken}` },
      })
    ).json()) as { total: { cache_hits: number; cache_hit_rate: number } }
    expect(series.total.cache_hits).toBe(3)
    expect(await stat(page, 'cache_hit_rate')).toBe(
      `${(series.total.cache_hit_rate * 100).toFixed(1)}%`
    )
    expect(await stat(page, 'latency')).toMatch(/^\d+ ms \/ \d+ ms$/)
    expect(await stat(page, 'ttft')).toMatch(/^\d+ ms \/ \d+ ms$/)

    // Four uPlot charts, each drawn on its canvas, over the 60 minutes of the last hour.
    expect(await page.locator('.chart .uplot canvas').count()).toBe(4)
    const requests = await chartColumn(page, 'traffic', 1)
    const errors = await chartColumn(page, 'traffic', 2)
    expect(requests).toHaveLength(60)
    expect(requests.reduce((a, b) => a + b, 0)).toBe(12)
    expect(errors.reduce((a, b) => a + b, 0)).toBe(2)
    const outputTokens = await chartColumn(page, 'tokens', 2)
    expect(outputTokens.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20)
    const drawn = await page.$$eval('.chart .uplot canvas', (canvases) =>
      canvases.map((element) => {
        const canvas = element as unknown as Canvas
        const pixels =
          canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? []
        let painted = 0
        for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) painted++
        return painted
      })
    )
    for (const painted of drawn) expect(painted).toBeGreaterThan(100)

    const models = await page.$$eval('[data-table="models"] tbody tr', (rows) =>
      rows.map((row) => [...row.children].map((cell) => cell.textContent))
    )
    expect(models[0]?.slice(0, 3)).toEqual(['mock/mock-gpt', '9', '0'])
    const failures = await page.$$eval('[data-table="failures"] tbody tr', (rows) =>
      rows.map((row) => row.children[2]?.textContent)
    )
    expect(failures.sort()).toEqual(['400', '502'])
    const budget = await page.$$eval('[data-table="budgets"] tbody tr', (rows) =>
      rows.map((row) => ({
        tenant: row.children[0]?.textContent,
        meter: row.querySelector('meter')?.value,
      }))
    )
    expect(budget).toHaveLength(1)
    expect(budget[0]?.tenant).toBe('Acme')
    expect(budget[0]?.meter).toBeGreaterThan(0)

    const path =
      process.env.UPDATE_SCREENSHOT || !existsSync(SCREENSHOT)
        ? SCREENSHOT
        : join(mkdtempSync(join(tmpdir(), 'dashboard-')), 'dashboard.png')
    await page.screenshot({ path, fullPage: true })
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG')
    expect(problems.get(page)).toEqual([])
    await page.close()
  })
})
