/**
 * One RESP2 connection to redis-server. Commands are pipelined: every batch is written in one
 * go and its replies are matched in FIFO order, so many HTTP requests share a socket safely.
 */
import { connect, type Socket } from 'node:net'
import { encodeCommand, RespParser, type RespValue, StatusReply } from './resp.ts'

export type RedisAddress = { host: string; port: number; db: number }

type PendingBatch = {
  replies: RespValue[]
  expected: number
  resolve(replies: RespValue[]): void
  reject(error: Error): void
}

export class RedisConnection {
  readonly #socket: Socket
  readonly #pending: PendingBatch[] = []
  #pendingHead = 0
  #closedBy: Error | undefined

  private constructor(socket: Socket) {
    this.#socket = socket
    const parser = new RespParser((reply) => this.#settle(reply))
    socket.on('data', (chunk: Buffer) => parser.push(chunk))
    socket.on('error', (error) => this.#fail(error))
    socket.on('close', () => this.#fail(new Error('the Redis connection closed')))
  }

  /** Opens a connection already switched to the address's logical database. */
  static async open(address: RedisAddress): Promise<RedisConnection> {
    const connection = new RedisConnection(await openSocket(address))
    if (address.db !== 0) {
      const [reply] = await connection.send([['SELECT', String(address.db)]])
      if (!(reply instanceof StatusReply)) {
        connection.close()
        throw new Error(`Redis refused SELECT ${address.db}`)
      }
    }
    return connection
  }

  get isOpen(): boolean {
    return this.#closedBy === undefined
  }

  /** Sends the commands in one write; resolves with their replies, Redis errors included. */
  send(commands: readonly (readonly string[])[]): Promise<RespValue[]> {
    if (this.#closedBy) return Promise.reject(this.#closedBy)
    return new Promise((resolve, reject) => {
      this.#pending.push({ replies: [], expected: commands.length, resolve, reject })
      let payload = ''
      for (const args of commands) payload += encodeCommand(args)
      this.#socket.write(payload)
    })
  }

  close(): void {
    this.#fail(new Error('the Redis connection was closed by the stand-in'))
    this.#socket.destroy()
  }

  #settle(reply: RespValue): void {
    const batch = this.#pending[this.#pendingHead]
    if (!batch) {
      this.#fail(new Error('Redis sent a reply nobody asked for'))
      this.#socket.destroy()
      return
    }
    batch.replies.push(reply)
    if (batch.replies.length < batch.expected) return
    this.#pendingHead++
    // Drop settled batches now and then instead of shifting the array on every reply.
    if (this.#pendingHead > 1024 || this.#pendingHead === this.#pending.length) {
      this.#pending.splice(0, this.#pendingHead)
      this.#pendingHead = 0
    }
    batch.resolve(batch.replies)
  }

  #fail(error: Error): void {
    this.#closedBy ??= error
    const waiting = this.#pending.splice(this.#pendingHead)
    this.#pending.length = 0
    this.#pendingHead = 0
    for (const batch of waiting) batch.reject(error)
  }
}

/** A connected socket to redis-server, for connections that speak more than request and reply. */
export function openSocket(address: RedisAddress): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port, noDelay: true })
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}
