/**
 * Startup CPU of a Worker bundle, from `wrangler check startup`: it loads the multipart upload
 * that `wrangler deploy --dry-run --outfile` writes into a local workerd and records a CPU profile
 * of the startup phase (module evaluation, top-level code). Busy time is the sum of the sample
 * intervals whose frame is not `(idle)`; the self time of each sample is attributed through the
 * bundle's source map to the package or source file it came from.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildWorkerBundle } from './bundle-size.ts'
import { median } from './stats.ts'

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number }
type ProfileNode = { id: number; callFrame: CallFrame }
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export type StartupProfile = {
  busyMs: number
  /** Self ms by where the code came from: a package, a source file, or a runtime frame. */
  byModule: Map<string, number>
  /** Self ms by function (original file:line where the map knows it). */
  byFunction: Map<string, number>
}

export type StartupBuild = { dir: string; bundle: string; map: SourceMap | undefined }

/** Builds the multipart upload (with its source map) once; `close` removes the folder. */
export function buildStartupBundle(name: string, entry?: string): StartupBuild & { close(): void } {
  const dir = mkdtempSync(join(tmpdir(), `bench-startup-${name}-`))
  const bundle = join(dir, 'worker.bundle')
  const out = join(dir, 'out')
  const file = buildWorkerBundle(out, entry, ['--outfile', bundle, '--upload-source-maps'])
  let map: SourceMap | undefined
  try {
    map = new SourceMap(
      JSON.parse(readFileSync(join(out, `${file}.map`), 'utf8')) as SourceMapPayload
    )
  } catch {
    // No map (a Worker built without one): frames are then attributed by bundle position only.
    map = undefined
  }
  return { dir, bundle, map, close: () => rmSync(dir, { recursive: true, force: true }) }
}

export function profileStartup(build: StartupBuild, sample: number): StartupProfile {
  const outfile = join(build.dir, `startup-${sample}.cpuprofile`)
  execFileSync(
    'npx',
    ['wrangler', 'check', 'startup', '--workerBundle', build.bundle, '--outfile', outfile],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    }
  )
  return analyse(JSON.parse(readFileSync(outfile, 'utf8')) as CpuProfile, build.map)
}

function analyse(profile: CpuProfile, map: SourceMap | undefined): StartupProfile {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const byModule = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let busyUs = 0
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)?.callFrame
    const deltaUs = profile.timeDeltas[index] ?? 0
    if (!frame || frame.functionName === '(idle)') return
    busyUs += deltaUs
    const where = origin(frame, map)
    add(byModule, where.module, deltaUs / 1000)
    add(byFunction, where.function, deltaUs / 1000)
  })
  return { busyMs: busyUs / 1000, byModule, byFunction }
}

function origin(
  frame: CallFrame,
  map: SourceMap | undefined
): { module: string; function: string } {
  if (frame.url === '') {
    // Runtime frames: (program), (garbage collector), and natives such as a mislabelled
    // defineProperty; grouped as what they are, not as our code.
    // `(program)` is V8 outside any JS function: at startup chiefly parsing and compiling the
    // bundle, so it grows with the bundle's size.
    const named =
      frame.functionName === '(program)'
        ? '(program: parse, compile, runtime)'
        : frame.functionName.startsWith('(')
          ? frame.functionName
          : '(native)'
    return { module: named, function: frame.functionName || '(anonymous native)' }
  }
  // A frame with no position is the bundle's top-level code: module evaluation itself.
  if (frame.lineNumber < 0) return { module: '(module top level)', function: '(module top level)' }
  const entry = map ? mapped(map, frame) : undefined
  if (!entry) {
    // Code the bundler wrote itself has no source: esbuild's helpers, chiefly `__name`, which
    // keep_names calls for every named function and class.
    const helper = '(esbuild helpers: __name etc.)'
    return { module: helper, function: `${frame.functionName || '(anonymous)'} ${helper}` }
  }
  const name = frame.functionName || '(top level)'
  return {
    module: moduleOf(entry.originalSource),
    function: `${name} ${shortPath(entry.originalSource)}:${entry.originalLine + 1}`,
  }
}

/** The original position of a frame (0-based line and column), if the map knows it. */
function mapped(map: SourceMap, frame: CallFrame): SourceMapping | undefined {
  const entry = map.findEntry(frame.lineNumber, frame.columnNumber)
  return 'originalSource' in entry ? entry : undefined
}

/** "…/node_modules/@upstash/redis/…" → "@upstash/redis"; "…/src/config.ts" → "src/config.ts". */
function moduleOf(source: string): string {
  const packaged = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)
  if (packaged?.[1]) return packaged[1]
  return shortPath(source)
}

function shortPath(source: string): string {
  const inModules = source.lastIndexOf('node_modules/')
  if (inModules !== -1) return source.slice(inModules + 'node_modules/'.length)
  return source.replace(/^(?:[a-z]+:\/\/)?(?:\.\.\/)*/, '')
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value)
}

/**
 * Per-key medians over several profiles (a key missing from one counts 0 there): one profile
 * taken while another process held the core would dominate a mean.
 */
export function medianContributors(maps: Map<string, number>[]): Array<[string, number]> {
  const keys = new Set(maps.flatMap((map) => [...map.keys()]))
  return [...keys]
    .map((key): [string, number] => [key, median(maps.map((map) => map.get(key) ?? 0))])
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1])
}
