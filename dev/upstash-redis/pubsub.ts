/**
 * Pub/sub as Upstash serves it over REST: `GET|POST /subscribe/<channel>…` and
 * `/psubscribe/<pattern>…` answer `text/event-stream`, one `data: ` line per Redis push, with the
 * push's fields joined by commas (`subscribe,<channel>,<count>`, `message,<channel>,<payload>`,
 * `pmessage,<pattern>,<channel>,<payload>`), which is what @upstash/redis's Subscriber parses.
 * Each stream has a redis-server connection of its own, closed when the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { RedisDatabase } from './database.ts'
import { openSocket } from './redis-connection.ts'
import { RequestError } from './request-body.ts'
import { ErrorReply, encodeCommand, RespParser, type RespValue } from './resp.ts'

export type Subscription = { command: 'SUBSCRIBE' | 'PSUBSCRIBE'; names: string[] }

const COMMANDS = { subscribe: 'SUBSCRIBE', psubscribe: 'PSUBSCRIBE' } as const

/** The subscription a request path asks for, or undefined when it is not a pub/sub path. */
export function subscriptionFor(segments: readonly string[]): Subscription | undefined {
  const [route = '', ...names] = segments
  const command = route === 'subscribe' || route === 'psubscribe' ? COMMANDS[route] : undefined
  if (!command) return undefined
  if (names.length === 0) throw new RequestError(400, `ERR ${route} needs at least one name`)
  return { command, names }
}

/**
 * Subscribes, then streams every push until the client disconnects or Redis drops the
 * connection. Fails before anything is written if redis-server cannot be reached, so the caller
 * can still answer with an error.
 */
export async function streamSubscription(
  request: IncomingMessage,
  response: ServerResponse,
  database: RedisDatabase,
  subscription: Subscription
): Promise<void> {
  const socket = await openSocket(database.address)
  // The client posts `[]`; nothing in the body matters, but it must be drained.
  request.resume()
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  })
  response.flushHeaders()
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    socket.destroy()
    response.end()
  }
  response.once('close', close)
  socket.once('close', close)
  socket.on('error', close)
  const parser = new RespParser((push) => forward(push, response, socket))
  socket.on('data', (chunk: Buffer) => parser.push(chunk))
  socket.write(encodeCommand([subscription.command, ...subscription.names]))
}

function forward(push: RespValue, response: ServerResponse, socket: Socket): void {
  if (push instanceof ErrorReply || !Array.isArray(push)) {
    // Redis refused the subscription (it names the reason); the stream has nothing to carry.
    socket.destroy()
    return
  }
  const fields = push.map((field) => (Buffer.isBuffer(field) ? field.toString('utf8') : field))
  // SSE ends a data line at a line break; a payload with line breaks continues on further
  // `data:` lines, as the SSE standard frames it (how Upstash frames these is undocumented).
  const lines = fields.join(',').split(/\r\n|\r|\n/)
  response.write(`${lines.map((line) => `data: ${line}`).join('\n')}\n\n`)
}
