/**
 * The deployable bundle's size, raw and gzip, from the same `wrangler deploy --dry-run` that
 * deploys. Prints one line per figure; `npm run bench` includes it in bench/results.md.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export type BundleSize = { rawBytes: number; gzipBytes: number; file: string }

/**
 * Builds a Worker exactly as `wrangler deploy` would (wrangler.toml's settings; `entry` replaces
 * its `main`) into `outdir` and returns the bundle's file name. `extraArgs` go to wrangler too
 * (the startup check also wants the multipart upload and the source map).
 */
export function buildWorkerBundle(
  outdir: string,
  entry?: string,
  extraArgs: string[] = []
): string {
  execFileSync(
    'npx',
    [
      'wrangler',
      'deploy',
      '--dry-run',
      '--outdir',
      outdir,
      ...extraArgs,
      ...(entry ? [entry] : []),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    }
  )
  const file = readdirSync(outdir).find((name) => name.endsWith('.js'))
  if (!file) throw new Error('wrangler produced no .js bundle')
  return file
}

export function bundleSize(code: Uint8Array, file: string): BundleSize {
  return { rawBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength, file }
}

export function measureBundle(): BundleSize {
  const outdir = mkdtempSync(join(tmpdir(), 'gateway-bundle-'))
  try {
    const file = buildWorkerBundle(outdir)
    return bundleSize(readFileSync(join(outdir, file)), file)
  } finally {
    rmSync(outdir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = measureBundle()
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
  console.log(
    `bundle ${size.file}: ${kib(size.rawBytes)} raw, ${kib(size.gzipBytes)} gzip (target <= 64 KiB gzip)`
  )
}
