// The front door of every `npm run` entry point: `node dev/node22.mjs <script.ts> [args]`.
// Plain JavaScript on purpose: it must run on the old Node it is there to replace, which stops at
// the `.ts` extension with no hint. On Node >= 22.18 it imports the script in this process. On
// an older Node it runs the script with Node 22 from .tools/ (installed from the npm registry, as
// .ci/run does), saying so in one line, and forwards signals so stopping it stops the script.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const REQUIRED = [22, 18]
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const [script, ...args] = process.argv.slice(2)
if (!script) {
  console.error('usage: node dev/node22.mjs <script.ts> [args...]')
  process.exit(2)
}

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
if (major > REQUIRED[0] || (major === REQUIRED[0] && minor >= REQUIRED[1])) {
  // Same process, same argv shape as `node <script.ts> [args]`, so scripts read argv unchanged.
  process.argv.splice(1, 2, resolve(script))
  await import(pathToFileURL(resolve(script)).href)
} else {
  reexec(provisioned())
}

function provisioned() {
  const node = join(root, '.tools', 'node_modules', '.bin', 'node')
  if (existsSync(node) && versionOf(node) >= 22) return node
  const installed = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      join(root, '.tools'),
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      'node@22',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  )
  if (installed.status === 0 && existsSync(node) && versionOf(node) >= 22) return node
  console.error(
    `This needs Node ${REQUIRED.join('.')} or later (this is ${process.version}) and could not fetch it from npm: install Node 22 (e.g. \`nvm install 22\`) and retry.`
  )
  process.exit(1)
}

function versionOf(node) {
  const result = spawnSync(node, ['-p', 'process.versions.node.split(".")[0]'], {
    encoding: 'utf8',
  })
  return Number(result.stdout.trim()) || 0
}

function reexec(node) {
  console.error(
    `Node ${process.version} is older than ${REQUIRED.join('.')}: running with Node 22 from .tools/.`
  )
  const child = spawn(node, [resolve(script), ...args], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal))
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}
