/**
 * A local stand-in for the Upstash Redis REST API, in front of a real redis-server, so the
 * official `@upstash/redis` and `@upstash/ratelimit` clients work offline unchanged.
 *
 * Supports:
 * - `POST /` (one command as a JSON array), `POST /pipeline` (in order, not atomic, one
 *   `{result}` or `{error}` per command, HTTP 200) and `POST /multi-exec` (MULTI/EXEC on a
 *   connection of its own, so concurrent transactions never interleave).
 * - The path form `GET|POST /<command>/<arg>…?name=value` and the `_token` query parameter.
 * - `Authorization: Bearer <token>` compared in constant time; an optional read-only token that
 *   may only run commands Redis flags read-only (SCAN and KEYS excluded, as on Upstash).
 * - `databases`: extra tokens that each map to another logical Redis database, e.g. to simulate
 *   the independent regions of a MultiRegionRatelimit with one redis-server.
 * - `Upstash-Encoding: base64` (the client's default): every string is base64 of its raw bytes,
 *   except a top-level `OK` status; numbers and nulls stay as they are.
 * - Scripts: the Upstash-only `allow-key-locking` shebang flag that @upstash/ratelimit >= 2.1
 *   sends is stripped for EVAL, EVAL_RO and SCRIPT LOAD, and EVALSHA, EVALSHA_RO and
 *   SCRIPT EXISTS map the client's SHA-1 to the one Redis knows, in all three routes.
 * - An increasing `upstash-sync-token` response header, for the client's read-your-writes.
 * - At start, one warning line naming the commands Upstash serves that this redis-server lacks
 *   (compatibility.ts).
 * - Pub/sub over SSE: `/subscribe/<channel>…` and `/psubscribe/<pattern>…` stream
 *   `data: message,<channel>,<payload>` events from a redis-server connection per stream
 *   (pubsub.ts). Channels are redis-server's, so they are shared by all logical databases.
 *
 * Refuses (HTTP 400, or per item inside a pipeline): connection-state and blocking commands
 * (SELECT, MULTI/EXEC/WATCH as commands, the SUBSCRIBE family as JSON commands, MONITOR,
 * CLIENT, blocking pops, XREAD … BLOCK, WAIT, AUTH, HELLO, QUIT, RESET, DEBUG, SHUTDOWN); writes
 * with the read-only token (403 NOPERM); a transaction with any such command is discarded
 * whole. Bad or missing token: 401 WRONGPASS. Bad JSON or command shape: 400. Bodies over
 * 10 MB: 413. Methods other than GET/HEAD/POST/PUT: 405. A discarded transaction (EXECABORT):
 * 400. Not implemented: monitor over SSE, and `Upstash-Response-Format: resp2` (400).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TokenRegistry } from './auth.ts'
import { CommandFlags } from './command-policy.ts'
import { missingFeatures, missingFeaturesWarning, redisVersion } from './compatibility.ts'
import { RedisDatabase } from './database.ts'
import { createRequestHandler } from './routes.ts'
import { type Access, CommandRunner } from './runner.ts'
import { ScriptRewriter } from './scripts.ts'

export type RedisRestOptions = {
  redisPort: number
  /** 0 or absent: a free port. */
  port?: number
  /** Defaults to 127.0.0.1; also used to reach redis-server. */
  host?: string
  /** Full access to logical database 0. */
  token: string
  /** Read-only access to logical database 0. */
  readonlyToken?: string
  /** Full access to other logical databases, one token each. */
  databases?: Array<{ token: string; db: number }>
}

export async function startRedisRest(
  options: RedisRestOptions
): Promise<{ url: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1'
  const databaseFor = (db: number) => new RedisDatabase({ host, port: options.redisPort, db })
  const main = databaseFor(0)
  const databases = [main]
  const grants: Array<{ token: string; grant: Access }> = [
    { token: options.token, grant: { database: main, readonly: false } },
  ]
  if (options.readonlyToken !== undefined) {
    grants.push({ token: options.readonlyToken, grant: { database: main, readonly: true } })
  }
  for (const { token, db } of options.databases ?? []) {
    const database = databaseFor(db)
    databases.push(database)
    grants.push({ token, grant: { database, readonly: false } })
  }
  const closeDatabases = () => Promise.all(databases.map((database) => database.close()))

  try {
    // Also proves Redis answers (and that every extra database exists) before we listen.
    const [commandReply = null, infoReply = null] = await main.run([
      ['COMMAND'],
      ['INFO', 'server'],
    ])
    await Promise.all(databases.map((database) => database.run([['PING']])))
    const flags = new CommandFlags(commandReply)
    const version = redisVersion(Buffer.isBuffer(infoReply) ? infoReply.toString('utf8') : '')
    const missing = missingFeatures(version, flags.names())
    // Said once now, rather than as an unknown command in the middle of someone's test.
    const warning = missingFeaturesWarning(version, missing)
    if (warning) console.warn(`Upstash Redis stand-in: ${warning}`)
    const runner = new CommandRunner(flags, new ScriptRewriter())
    const server = createServer(
      { keepAliveTimeout: 65_000 },
      createRequestHandler(new TokenRegistry(grants), runner)
    )
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => resolve())
    })
    const { port } = server.address() as AddressInfo
    return {
      url: `http://${host}:${port}`,
      close: async () => {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await closeDatabases()
      },
    }
  } catch (error) {
    await closeDatabases()
    throw error
  }
}
