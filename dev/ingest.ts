/**
 * `npm run ingest -- <folder or files...> --collection <name> [--url <gateway>] [--key <sk-gw-...>]`
 *
 * Walks folders for .txt, .md, .markdown and .html files and sends them to the gateway's
 * documents endpoint in batches, a few at a time, retrying network failures, 429 and 5xx with
 * backoff. A batch the gateway refuses (one oversize file, say) is retried file by file, so one
 * bad file does not fail its neighbours. Re-running is cheap: unchanged files write nothing.
 *
 * Options: --batch <files per request, 20>, --concurrency <requests in flight, 4>,
 * --chunk-size and --chunk-overlap (used only when the collection is created).
 * The key may come from GATEWAY_API_KEY and the URL from GATEWAY_URL instead.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { backoffMs, batchFiles, formatOf, type SourceFile, toDocument } from './ingest/plan.ts'
import { emptyCounts, progressBar, progressLine, summary } from './ingest/progress.ts'

const MAX_BATCH_BYTES = 512 * 1024
const MAX_ATTEMPTS = 5

type Options = {
  paths: string[]
  collection: string
  url: string
  key: string
  batch: number
  concurrency: number
  chunkSize?: number
  chunkOverlap?: number
}

type IngestResult = { id: string; status: 'created' | 'updated' | 'unchanged'; chunks: number }
type Failure = { file: string; message: string }

class RequestFailed extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

function readOptions(): Options {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      collection: { type: 'string', short: 'c' },
      url: { type: 'string' },
      key: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      'chunk-size': { type: 'string' },
      'chunk-overlap': { type: 'string' },
    },
  })
  const key = values.key ?? process.env.GATEWAY_API_KEY
  if (positionals.length === 0 || !values.collection || !key) {
    throw new Error(
      'usage: npm run ingest -- <folder or files...> --collection <name> [--url <gateway>] [--key <sk-gw-...>] (or GATEWAY_API_KEY)'
    )
  }
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value))
  return {
    paths: positionals,
    collection: values.collection,
    url: (values.url ?? process.env.GATEWAY_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, ''),
    key,
    batch: number(values.batch) ?? 20,
    concurrency: number(values.concurrency) ?? 4,
    chunkSize: number(values['chunk-size']),
    chunkOverlap: number(values['chunk-overlap']),
  }
}

async function findFiles(paths: string[]): Promise<SourceFile[]> {
  const files: SourceFile[] = []
  const visit = async (path: string, root: string): Promise<void> => {
    const info = await stat(path)
    if (info.isDirectory()) {
      const entries = await readdir(path)
      for (const entry of entries.sort()) {
        if (!entry.startsWith('.')) await visit(join(path, entry), root)
      }
    } else if (formatOf(path)) {
      files.push({ path, relativePath: relative(root, path) || path, bytes: info.size })
    }
  }
  for (const path of paths) {
    const absolute = resolve(path)
    const info = await stat(absolute)
    await visit(absolute, info.isDirectory() ? absolute : resolve(absolute, '..'))
  }
  return files
}

async function call(
  options: Options,
  method: string,
  path: string,
  body: unknown
): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    let response: Response
    try {
      response = await fetch(`${options.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    } catch (error) {
      if (attempt + 1 >= MAX_ATTEMPTS) throw error
      await sleep(backoffMs(attempt))
      continue
    }
    const json: unknown = await response.json().catch(() => ({}))
    if (response.ok) return json
    const retryable = response.status === 429 || response.status >= 500
    if (!retryable || attempt + 1 >= MAX_ATTEMPTS) {
      throw new RequestFailed(response.status, errorMessage(json, response.status))
    }
    await sleep(backoffMs(attempt, Number(response.headers.get('retry-after') ?? 0)))
  }
}

function errorMessage(json: unknown, status: number): string {
  const error =
    typeof json === 'object' && json !== null && 'error' in json ? json.error : undefined
  const message =
    typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : ''
  return `${status} ${message}`.trim()
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

async function ensureCollection(options: Options): Promise<void> {
  try {
    await call(options, 'POST', '/v1/collections', {
      name: options.collection,
      ...(options.chunkSize === undefined ? {} : { chunk_size: options.chunkSize }),
      ...(options.chunkOverlap === undefined ? {} : { chunk_overlap: options.chunkOverlap }),
    })
  } catch (error) {
    if (!(error instanceof RequestFailed && error.status === 409)) throw error
  }
}

async function sendBatch(options: Options, files: SourceFile[]): Promise<IngestResult[]> {
  const documents = await Promise.all(
    files.map(async (file) => toDocument(file, await readFile(file.path, 'utf8')))
  )
  const path = `/v1/collections/${encodeURIComponent(options.collection)}/documents`
  const answer = (await call(options, 'POST', path, { documents })) as { data: IngestResult[] }
  return answer.data
}

async function main(): Promise<void> {
  const options = readOptions()
  const files = await findFiles(options.paths)
  await ensureCollection(options)
  const counts = emptyCounts(files.length)
  const failures: Failure[] = []
  const started = performance.now()
  const tty = process.stdout.isTTY === true
  const report = () => {
    if (tty) process.stdout.write(`\r${progressBar(counts, performance.now() - started)}`)
    else console.log(progressLine(counts))
  }
  const record = (results: IngestResult[]) => {
    for (const result of results) {
      counts[result.status]++
      counts.chunks += result.chunks
    }
  }
  const runBatch = async (batch: SourceFile[]) => {
    try {
      record(await sendBatch(options, batch))
    } catch (error) {
      // A refused batch is retried file by file, so only the bad files fail.
      if (batch.length > 1 && error instanceof RequestFailed && error.status < 500) {
        for (const file of batch) await runBatch([file])
        return
      }
      counts.errors += batch.length
      const message = error instanceof Error ? error.message : String(error)
      for (const file of batch) failures.push({ file: file.relativePath, message })
    }
  }
  const queue = batchFiles(files, options.batch, MAX_BATCH_BYTES)
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      await runBatch(batch)
      counts.done += batch.length
      report()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker))
  if (tty) process.stdout.write('\n')
  for (const failure of failures) console.error(`error: ${failure.file}: ${failure.message}`)
  console.log(summary(counts, performance.now() - started))
  process.exitCode = failures.length > 0 ? 1 : 0
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exitCode = 1
})
