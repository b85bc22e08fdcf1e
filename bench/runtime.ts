/**
 * Workers under test, run in workerd through Miniflare's API on a real loopback port: the same
 * bundle `wrangler deploy` uploads, without `wrangler dev` (which adds ~6 ms to every request).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { buildWorkerBundle } from './bundle-size.ts'
import { workerdChildren } from './processes.ts'

export type WorkerBundle = { name: string; file: string; code: string }

export type RunningWorker = {
  url: string
  /** The workerd process serving it, for memory samples. */
  pid: number | undefined
  close(): Promise<void>
}

const WRANGLER_TOML = fileURLToPath(new URL('../wrangler.toml', import.meta.url))
export const TRIVIAL_WORKER = fileURLToPath(new URL('./trivial-worker.ts', import.meta.url))

/**
 * Portkey's open-source gateway built as a Worker from its own source (its README says how), run
 * with the date and flags of Portkey's own wrangler.toml, not ours. PORTKEY_WORKER overrides it.
 */
export const PORTKEY_WORKER = {
  file:
    process.env.PORTKEY_WORKER ??
    fileURLToPath(new URL('../../shared/peers/portkey/portkey-worker.js', import.meta.url)),
  runtime: { compatibilityDate: '2024-12-05', compatibilityFlags: ['nodejs_compat'] },
  vars: { ENVIRONMENT: 'dev' },
} as const

export function loadPortkeyWorker(): WorkerBundle | undefined {
  if (!existsSync(PORTKEY_WORKER.file)) return undefined
  return {
    name: 'portkey',
    file: PORTKEY_WORKER.file,
    code: readFileSync(PORTKEY_WORKER.file, 'utf8'),
  }
}

/** Builds the gateway (no entry) or another Worker with the gateway's wrangler.toml settings. */
export function buildWorker(name: string, entry?: string): WorkerBundle {
  const outdir = mkdtempSync(join(tmpdir(), `bench-${name}-`))
  try {
    const file = buildWorkerBundle(outdir, entry)
    return { name, file, code: readFileSync(join(outdir, file), 'utf8') }
  } finally {
    rmSync(outdir, { recursive: true, force: true })
  }
}

/** The runtime a bundle asks for; the gateway's own come from wrangler.toml. */
export type WorkerRuntime = { compatibilityDate: string; compatibilityFlags: readonly string[] }

export async function startWorker(
  bundle: WorkerBundle,
  vars: Record<string, string | undefined>,
  runtime: WorkerRuntime = { compatibilityDate: compatibilityDate(), compatibilityFlags: [] }
): Promise<RunningWorker> {
  const before = workerdChildren()
  const miniflare = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    logRequests: false,
    workers: [
      {
        config: {
          name: bundle.name,
          compatibilityDate: runtime.compatibilityDate,
          compatibilityFlags: [...runtime.compatibilityFlags],
          manifest: {
            mainModule: 'index.js',
            modules: { 'index.js': { type: 'esm', contents: bundle.code } },
          },
          env: Object.fromEntries(
            Object.entries(vars).flatMap(([name, value]) =>
              value === undefined ? [] : [[name, { type: 'text' as const, value }]]
            )
          ),
        },
      },
    ],
  })
  const ready = await miniflare.ready
  const spawned = [...workerdChildren()].filter((pid) => !before.has(pid))
  return {
    url: ready.origin,
    pid: spawned.length === 1 ? spawned[0] : undefined,
    close: () => miniflare.dispose(),
  }
}

function compatibilityDate(): string {
  const match = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(WRANGLER_TOML, 'utf8'))
  if (!match?.[1]) throw new Error('wrangler.toml has no compatibility_date')
  return match[1]
}
