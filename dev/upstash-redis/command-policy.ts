/**
 * Which commands the REST routes refuse before they reach Redis: commands that hold or change
 * connection state (meaningless over stateless HTTP, and harmful on a shared connection), and,
 * for a read-only token, everything Redis itself does not flag as read-only.
 */
import { type RespValue, StatusReply } from './resp.ts'

/** Lower-case command names; Upstash documents the same refusals for its REST API. */
const CONNECTION_BOUND = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'monitor',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'select',
  'swapdb',
  'quit',
  'reset',
  'hello',
  'auth',
  'client',
  'readonly',
  'readwrite',
  'asking',
  'sync',
  'psync',
  'shutdown',
  'debug',
  'wait',
  'waitaof',
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
])

/** XREAD and XREADGROUP only block when asked to. */
const BLOCKING_WITH_OPTION = new Set(['xread', 'xreadgroup'])

/** Read-only by Redis's flags, yet Upstash refuses them to read-only tokens. */
const REFUSED_TO_READERS = new Set(['scan', 'keys'])

/** Harmless commands Redis does not flag read-only. */
const ALLOWED_TO_READERS = new Set(['ping', 'echo', 'time'])

/** The refusal text for a command no REST route runs, or undefined when it may run. */
export function connectionBoundRefusal(args: readonly string[]): string | undefined {
  const name = (args[0] ?? '').toLowerCase()
  const blocks =
    CONNECTION_BOUND.has(name) ||
    (BLOCKING_WITH_OPTION.has(name) && args.some((arg) => arg.toUpperCase() === 'BLOCK'))
  return blocks ? `ERR Command is not available over REST: '${name}'` : undefined
}

/** Redis's own command flags (from COMMAND), keyed by `name` or `name|subcommand`. */
export class CommandFlags {
  readonly #flagsByName: Map<string, ReadonlySet<string>>

  constructor(commandReply: RespValue) {
    this.#flagsByName = new Map()
    if (!Array.isArray(commandReply)) throw new Error('Redis COMMAND did not return a list')
    for (const entry of commandReply) this.#add(entry)
  }

  /** Lower-case command names (`name|subcommand` for subcommands) this redis-server knows. */
  names(): Iterable<string> {
    return this.#flagsByName.keys()
  }

  /** The refusal text for a read-only token, or undefined when the command may run. */
  readOnlyRefusal(args: readonly string[]): string | undefined {
    const name = (args[0] ?? '').toLowerCase()
    if (ALLOWED_TO_READERS.has(name)) return undefined
    const flags =
      this.#flagsByName.get(`${name}|${(args[1] ?? '').toLowerCase()}`) ??
      this.#flagsByName.get(name)
    // Unknown commands go on to Redis, which answers with its own error.
    if (!flags) return undefined
    if (flags.has('readonly') && !REFUSED_TO_READERS.has(name)) return undefined
    return `NOPERM this token is read-only and cannot run '${name}'`
  }

  #add(entry: RespValue): void {
    if (!Array.isArray(entry)) return
    const [name, , flags, , , , , , , subcommands] = entry
    if (!Buffer.isBuffer(name) || !Array.isArray(flags)) return
    const flagNames = flags.flatMap((flag) => (flag instanceof StatusReply ? [flag.text] : []))
    this.#flagsByName.set(name.toString().toLowerCase(), new Set(flagNames))
    if (Array.isArray(subcommands)) for (const subcommand of subcommands) this.#add(subcommand)
  }
}
