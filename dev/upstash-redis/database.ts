/**
 * One logical Redis database as the REST routes see it: a shared pipelined connection for plain
 * commands, and a pool of exclusive connections so concurrent transactions never interleave.
 */
import { type RedisAddress, RedisConnection } from './redis-connection.ts'
import type { RespValue } from './resp.ts'

/** Idle transaction connections kept open for reuse; bursts above this open and close extras. */
const IDLE_TRANSACTION_CONNECTIONS = 64

export class RedisDatabase {
  readonly #address: RedisAddress
  #shared: Promise<RedisConnection> | undefined
  #sharedReady: RedisConnection | undefined
  readonly #idle: RedisConnection[] = []
  readonly #busy = new Set<RedisConnection>()

  constructor(address: RedisAddress) {
    this.#address = address
  }

  /** Where this database's redis-server listens, for connections of their own (pub/sub). */
  get address(): RedisAddress {
    return this.#address
  }

  /** Runs commands in order on the shared connection, reopening it if Redis dropped it. */
  async run(commands: readonly (readonly string[])[]): Promise<RespValue[]> {
    return (await this.#sharedConnection()).send(commands)
  }

  /**
   * Runs MULTI, the commands and EXEC on a connection nobody else uses meanwhile. Resolves with
   * the replies to all of them, so the caller can see queue-time errors as well as EXEC's reply.
   */
  async transaction(commands: readonly (readonly string[])[]): Promise<RespValue[]> {
    const connection = this.#idleOpenConnection() ?? (await RedisConnection.open(this.#address))
    this.#busy.add(connection)
    try {
      return await connection.send([['MULTI'], ...commands, ['EXEC']])
    } finally {
      this.#busy.delete(connection)
      if (connection.isOpen && this.#idle.length < IDLE_TRANSACTION_CONNECTIONS) {
        this.#idle.push(connection)
      } else {
        connection.close()
      }
    }
  }

  async close(): Promise<void> {
    const shared = await this.#shared?.catch(() => undefined)
    shared?.close()
    for (const connection of [...this.#idle.splice(0), ...this.#busy]) connection.close()
  }

  /** Idle connections Redis dropped meanwhile (restart, CLIENT KILL) are discarded here. */
  #idleOpenConnection(): RedisConnection | undefined {
    for (let connection = this.#idle.pop(); connection; connection = this.#idle.pop()) {
      if (connection.isOpen) return connection
    }
    return undefined
  }

  #sharedConnection(): Promise<RedisConnection> {
    if (this.#sharedReady && !this.#sharedReady.isOpen) {
      this.#shared = undefined
      this.#sharedReady = undefined
    }
    if (this.#shared) return this.#shared
    const opening = RedisConnection.open(this.#address)
    this.#shared = opening
    opening.then(
      (connection) => {
        if (this.#shared === opening) this.#sharedReady = connection
      },
      // A failed attempt must not stick: the next request tries again.
      () => {
        if (this.#shared === opening) this.#shared = undefined
      }
    )
    return opening
  }
}
