/**
 * The dashboard's static assets as Workers static assets serve them (wrangler.toml [assets]),
 * read through the assets binding: the vitest pool's `exports.default` reaches the Worker itself,
 * not the asset router in front of it (test/node/browser/dashboard.test.ts covers that, under
 * wrangler dev).
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { gatewayFetch } from '../helpers/gateway'

const asset = (path: string) => env.ASSETS.fetch(`http://gateway${path}`)

describe('the dashboard as static assets', () => {
  it('serves the page at /admin/dashboard, with a policy that allows only its own origin', async () => {
    const page = await asset('/admin/dashboard')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const policy = page.headers.get('content-security-policy') ?? ''
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'"]) {
      expect(policy).toContain(directive)
    }
    expect(policy).toContain("frame-ancestors 'none'")
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await page.text()
    expect(html).toContain('src="/admin/dashboard/dashboard.js"')
    expect(html).toContain('href="/admin/dashboard/dashboard.css"')
  })

  it('serves the built script with uPlot bundled in, and its stylesheet, from the same folder', async () => {
    const script = await asset('/admin/dashboard/dashboard.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    const code = await script.text()
    // uPlot's own class names: the library is in the bundle, not fetched from anywhere.
    expect(code).toContain('u-legend')
    expect(code).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i)
    const css = await asset('/admin/dashboard/dashboard.css')
    expect(css.status).toBe(200)
    expect(await css.text()).toContain('.uplot')
  })

  it('leaves every other /admin path to the Worker', async () => {
    // No asset there: the asset server answers 404, and in production the Worker runs instead.
    expect((await asset('/admin/tenants')).status).toBe(404)
    const api = await gatewayFetch('http://gateway/admin/metrics/series')
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: { code: 'invalid_admin_token' } })
  })
})
