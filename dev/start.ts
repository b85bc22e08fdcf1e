/**
 * `npm start`: the whole gateway on this machine with one command and no accounts. Starts the
 * local stack (redis-server, the Upstash stand-ins, the mock provider unless real provider keys
 * are configured) and `wrangler dev` wired to it, seeds a development tenant and key, and prints
 * a curl that works as printed. Ctrl-C, SIGTERM and SIGHUP stop every process it started, and so
 * does the death of whatever started it (npm, an IDE), so nothing is left behind.
 * Secrets reach wrangler in a private file (mode 0600), never on a command line `ps` shows.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { onAncestorExit } from './lib/ancestors.ts'
import { portIsFree } from './lib/ports.ts'
import { REDIS_INSTALL_HINT } from './redis-server.ts'
import { seedDevelopmentTenant } from './seed.ts'
import { type Stack, startStack } from './stack.ts'

// A separate folder lets a second stack (the front-door tests) run beside the usual one.
const DATA_DIR = process.env.DEV_DATA_DIR ?? '.dev-data'
const port = Number(process.env.PORT ?? 8787)
const realProviderConfigured = Boolean(
  process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL || process.env.ANTHROPIC_API_KEY
)

mkdirSync(DATA_DIR, { recursive: true })
const adminToken =
  process.env.ADMIN_TOKEN ??
  persistentSecret('admin-token', () => `adm-${randomBytes(24).toString('base64url')}`)
const encryptionKey =
  process.env.ENCRYPTION_KEY ??
  persistentSecret('encryption-key', () => randomBytes(32).toString('base64'))

let stack: Stack | undefined
let wrangler: ChildProcess | undefined
let stopping = false

async function main(): Promise<void> {
  // Before anything starts: a second gateway on a taken port would talk to the first one.
  if (!(await portIsFree(port))) {
    console.error(`port ${port} is in use; set PORT`)
    process.exit(1)
  }
  try {
    stack = await startStack({ dataDir: DATA_DIR, withMockProvider: !realProviderConfigured })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(
      message === REDIS_INSTALL_HINT ? message : `Could not start the local stack: ${message}`
    )
    process.exit(1)
  }
  const vars: Record<string, string | undefined> = {
    ENVIRONMENT: 'development',
    ALLOW_LOOPBACK_UPSTREAMS: 'true',
    ADMIN_TOKEN: adminToken,
    ENCRYPTION_KEY: encryptionKey,
    UPSTASH_REDIS_REST_URL: stack.redis.url,
    UPSTASH_REDIS_REST_TOKEN: stack.redis.token,
    UPSTASH_VECTOR_REST_URL: stack.vector.url,
    UPSTASH_VECTOR_REST_TOKEN: stack.vector.token,
    MOCK_PROVIDER_URL: stack.mockProviderUrl,
    OPENAI_API_KEY: process.env.OPENAI_API_KEY,
    OPENAI_BASE_URL: process.env.OPENAI_BASE_URL,
    ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL: process.env.ANTHROPIC_BASE_URL,
    MODEL_CATALOG: process.env.MODEL_CATALOG,
    PROVIDERS: process.env.PROVIDERS,
  }
  const envFiles = [...(existsSync('.dev.vars') ? ['.dev.vars'] : []), writeEnvFile(vars)]
  // Its own process group, so stopping it stops workerd and every helper wrangler starts.
  wrangler = spawn(
    process.execPath,
    [
      'node_modules/wrangler/bin/wrangler.js',
      'dev',
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--show-interactive-dev-session=false',
      // GET /__scheduled fires the cron trigger (the background-response sweep) on demand.
      '--test-scheduled',
      // Later files win: the user's own .dev.vars first, then what this run wires up.
      ...envFiles.flatMap((file) => ['--env-file', file]),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    }
  )
  wrangler.stdout?.on('data', (data: Buffer) => {
    if (process.env.VERBOSE) process.stdout.write(data)
  })
  wrangler.once('exit', (code) => {
    if (!stopping) {
      console.error(`wrangler dev exited (${code}); stopping.`)
      void stop(1)
    }
  })

  const url = `http://127.0.0.1:${port}`
  await waitForHealth(url)
  const seeded = await seedDevelopmentTenant(url, adminToken, join(DATA_DIR, 'dev-key.json'))
  const model = stack.mockProviderUrl ? 'mock-gpt' : 'gpt-4o-mini'
  console.log(`
Gateway ready at ${url}
  admin token:      ${adminToken}
  dev tenant:       ${seeded.tenantId}
  dev API key:      ${seeded.apiKey}
  upstream:         ${stack.mockProviderUrl ? `mock provider at ${stack.mockProviderUrl}` : 'configured providers'}

Try it:
  curl -N ${url}/v1/chat/completions \\
    -H 'Authorization: Bearer ${seeded.apiKey}' -H 'Content-Type: application/json' \\
    -d '{"model":"${model}","stream":true,"messages":[{"role":"user","content":"Hello from the edge"}]}'

Ctrl-C stops everything.`)
}

const ENV_FILE = join(DATA_DIR, 'wrangler.env')

/** The vars for wrangler, in dotenv form, readable by this user only. */
function writeEnvFile(vars: Record<string, string | undefined>): string {
  const lines = Object.entries(vars).flatMap(([name, value]) =>
    value ? [`${name}=${dotenvQuoted(name, value)}`] : []
  )
  writeFileSync(ENV_FILE, `${lines.join('\n')}\n`, { mode: 0o600 })
  return ENV_FILE
}

/** Quoted with a character the value does not hold; dotenv has no escape that works in all. */
function dotenvQuoted(name: string, value: string): string {
  const quote = ["'", '"', '`'].find((candidate) => !value.includes(candidate))
  if (quote === undefined || /[\r\n]/.test(value)) {
    throw new Error(`${name} holds quotes of every kind or a line break; it cannot go to wrangler`)
  }
  return `${quote}${value}${quote}`
}

function persistentSecret(name: string, make: () => string): string {
  const file = join(DATA_DIR, name)
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const value = make()
  writeFileSync(file, value, { mode: 0o600 })
  return value
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/healthz`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`the gateway did not answer on ${url}/healthz within two minutes`)
}

async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  if (wrangler?.pid && wrangler.exitCode === null) {
    const group = -wrangler.pid
    const exited = new Promise((resolve) => wrangler?.once('exit', resolve))
    signalGroup(group, 'SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
    signalGroup(group, 'SIGKILL')
  }
  await stack?.close()
  rmSync(ENV_FILE, { force: true })
  process.exit(code)
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal)
  } catch {
    // the group is already gone
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(signal, () => void stop(0))
// The death of whatever started this (npm, an IDE, a terminal) stops it like Ctrl-C.
onAncestorExit(() => void stop(0))
main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  void stop(1)
})
