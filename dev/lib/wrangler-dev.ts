/**
 * The `wrangler dev` command line the local tools run (npm start, the Node tests): loopback only,
 * no interactive session, `/__scheduled` to fire the cron trigger, and the vars from env files
 * (later files win), never on a command line `ps` shows.
 */
export function wranglerDevArgs(options: {
  port: number
  envFiles: readonly string[]
  /** Where Miniflare keeps its state; wrangler's default is .wrangler/state in the project. */
  persistTo?: string
}): string[] {
  return [
    'node_modules/wrangler/bin/wrangler.js',
    'dev',
    '--port',
    String(options.port),
    '--ip',
    '127.0.0.1',
    '--show-interactive-dev-session=false',
    // GET /__scheduled fires the cron trigger (the background-response sweep) on demand.
    '--test-scheduled',
    ...(options.persistTo ? ['--persist-to', options.persistTo] : []),
    ...options.envFiles.flatMap((file) => ['--env-file', file]),
  ]
}
