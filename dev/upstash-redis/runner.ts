/**
 * Runs parsed commands for the three REST shapes (single, pipeline, transaction): applies the
 * command policy and the script rewrite, talks to Redis, and shapes replies as Upstash does.
 */
import { type CommandFlags, connectionBoundRefusal } from './command-policy.ts'
import type { RedisDatabase } from './database.ts'
import { type ItemResult, itemResult } from './reply-json.ts'
import type { Command } from './request-body.ts'
import { ErrorReply, type RespValue } from './resp.ts'
import { type ScriptRewriter, sha1 } from './scripts.ts'

export type Access = { database: RedisDatabase; readonly: boolean }
export type Outcome = { status: number; body: ItemResult | ItemResult[] }

type Prepared =
  | { args: Command; restoreReply?: (reply: RespValue) => RespValue }
  | { refusal: string; status: number }

export class CommandRunner {
  readonly #flags: CommandFlags
  readonly #scripts: ScriptRewriter

  constructor(flags: CommandFlags, scripts: ScriptRewriter) {
    this.#flags = flags
    this.#scripts = scripts
  }

  async single(access: Access, command: Command, base64: boolean): Promise<Outcome> {
    const prepared = this.#prepare(command, access.readonly)
    if ('refusal' in prepared) return { status: prepared.status, body: { error: prepared.refusal } }
    const [reply = null] = await access.database.run([prepared.args])
    const body = itemResult(restore(prepared, reply), base64)
    return { status: 'error' in body ? 400 : 200, body }
  }

  /** Not atomic; refused commands get their own error item and the others still run. */
  async pipeline(access: Access, commands: Command[], base64: boolean): Promise<Outcome> {
    const prepared = commands.map((command) => this.#prepare(command, access.readonly))
    const runnable = prepared.flatMap((item) => ('args' in item ? [item.args] : []))
    const replies = runnable.length > 0 ? await access.database.run(runnable) : []
    let next = 0
    const body = prepared.map((item): ItemResult => {
      if ('refusal' in item) return { error: item.refusal }
      return itemResult(restore(item, replies[next++] ?? null), base64)
    })
    return { status: 200, body }
  }

  /** All or nothing: one refused or unqueueable command discards the whole transaction. */
  async transaction(access: Access, commands: Command[], base64: boolean): Promise<Outcome> {
    const prepared: Array<Extract<Prepared, { args: Command }>> = []
    for (const command of commands) {
      const item = this.#prepare(command, access.readonly)
      if ('refusal' in item) return discarded(item.status, item.refusal)
      prepared.push(item)
    }
    const replies = await access.database.transaction(prepared.map((item) => item.args))
    const execReply = replies[replies.length - 1] ?? null
    if (execReply instanceof ErrorReply) {
      const queueError = replies.find((reply) => reply instanceof ErrorReply)
      const cause = queueError && queueError !== execReply ? `: ${queueError.message}` : ''
      return discarded(400, `${execReply.message.replace(/\.$/, '')}${cause}`)
    }
    if (!Array.isArray(execReply)) return discarded(500, 'ERR EXEC returned no results')
    const body = prepared.map((item, i) => itemResult(restore(item, execReply[i] ?? null), base64))
    return { status: 200, body }
  }

  #prepare(command: Command, readonly: boolean): Prepared {
    const connectionRefusal = connectionBoundRefusal(command)
    if (connectionRefusal) return { refusal: connectionRefusal, status: 400 }
    const readerRefusal = readonly ? this.#flags.readOnlyRefusal(command) : undefined
    if (readerRefusal) return { refusal: readerRefusal, status: 403 }
    return this.#rewriteScripts(command)
  }

  /** Scripts as Redis must see them, and SCRIPT LOAD's answer as the client expects it. */
  #rewriteScripts(command: Command): Prepared {
    const [name = '', first, ...rest] = command
    if (first === undefined) return { args: command }
    switch (name.toLowerCase()) {
      case 'eval':
      case 'eval_ro':
        return { args: [name, this.#scripts.rewrite(first), ...rest] }
      case 'evalsha':
      case 'evalsha_ro':
        return { args: [name, this.#scripts.redisSha(first), ...rest] }
      case 'script':
        return this.#rewriteScriptSubcommand(command)
      default:
        return { args: command }
    }
  }

  #rewriteScriptSubcommand(command: Command): Prepared {
    const [name = '', subcommand = '', ...rest] = command
    switch (subcommand.toLowerCase()) {
      case 'load': {
        const [source] = rest
        if (source === undefined || rest.length > 1) return { args: command }
        const rewritten = this.#scripts.rewrite(source)
        if (rewritten === source) return { args: command }
        const clientSha = Buffer.from(sha1(source))
        return {
          args: [name, subcommand, rewritten],
          restoreReply: (reply) => (Buffer.isBuffer(reply) ? clientSha : reply),
        }
      }
      case 'exists':
        return { args: [name, subcommand, ...rest.map((sha) => this.#scripts.redisSha(sha))] }
      default:
        return { args: command }
    }
  }
}

function restore(prepared: { restoreReply?: (reply: RespValue) => RespValue }, reply: RespValue) {
  return prepared.restoreReply ? prepared.restoreReply(reply) : reply
}

function discarded(status: number, message: string): Outcome {
  return { status, body: { error: message } }
}
