/**
 * Builds the dashboard's script and stylesheet (src/dashboard/page.ts, with uPlot and its CSS from
 * node_modules, in one bundle) into the static assets folder wrangler serves. The output is
 * git-ignored; `npm start`, `npm run build` and the tests' global setup run this, so nothing is
 * fetched at run time and no copy of uPlot is kept in the repository.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Served at /admin/dashboard/ (the page itself is src/dashboard/assets/admin/dashboard.html). */
export const DASHBOARD_OUTPUT = join(ROOT, 'src/dashboard/assets/admin/dashboard')

export async function buildDashboard(): Promise<void> {
  await build({
    entryPoints: { dashboard: join(ROOT, 'src/dashboard/page.ts') },
    outdir: DASHBOARD_OUTPUT,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDashboard()
