/**
 * A minimal RESP2 codec. Bulk strings stay as Buffers so that base64 replies carry the exact
 * bytes Redis stored, whatever their encoding.
 */

/** A simple-string reply such as `+OK` or `+PONG`; kept apart from bulk strings for encoding. */
export class StatusReply {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

export class ErrorReply {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

export type RespValue = Buffer | StatusReply | ErrorReply | number | null | RespValue[]

/** One command as a single UTF-8 string, ready for one socket write. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
  return out
}

const CR = 13

/** Thrown while reading when the buffer ends mid-reply; `needed` is the minimal total length. */
class Incomplete {
  needed: number
  constructor(needed: number) {
    this.needed = needed
  }
}

/**
 * Streams replies out of socket chunks. A reply split across chunks is retried once more bytes
 * arrive, and not before the length a bulk header announced, so large values parse in one pass.
 */
export class RespParser {
  #chunks: Buffer[] = []
  #buffered = 0
  #needed = 0
  #onReply: (reply: RespValue) => void

  constructor(onReply: (reply: RespValue) => void) {
    this.#onReply = onReply
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    if (this.#buffered < this.#needed) return
    const buffer = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#buffered)
    const reader = new Reader(buffer)
    let replyStart = 0
    this.#needed = 0
    try {
      while (reader.pos < buffer.length) {
        const reply = reader.read()
        replyStart = reader.pos
        this.#onReply(reply)
      }
    } catch (error) {
      if (!(error instanceof Incomplete)) throw error
      this.#needed = error.needed - replyStart
    }
    const rest = buffer.subarray(replyStart)
    this.#chunks = rest.length > 0 ? [rest] : []
    this.#buffered = rest.length
  }
}

class Reader {
  pos = 0
  readonly #buffer: Buffer

  constructor(buffer: Buffer) {
    this.#buffer = buffer
  }

  read(): RespValue {
    const type = this.#buffer[this.pos]
    if (type === undefined) throw new Incomplete(this.pos + 1)
    this.pos++
    const line = this.#line()
    switch (type) {
      case 43: // '+'
        return new StatusReply(line)
      case 45: // '-'
        return new ErrorReply(line)
      case 58: // ':'
        return Number(line)
      case 36: // '$'
        return this.#bulk(Number(line))
      case 42: // '*'
        return this.#array(Number(line))
      default:
        throw new Error(`RESP2 protocol error: unexpected type byte ${type}`)
    }
  }

  #line(): string {
    const end = this.#buffer.indexOf(CR, this.pos)
    if (end === -1 || end + 1 >= this.#buffer.length) throw new Incomplete(this.#buffer.length + 1)
    const line = this.#buffer.toString('utf8', this.pos, end)
    this.pos = end + 2
    return line
  }

  #bulk(length: number): Buffer | null {
    if (length < 0) return null
    const end = this.pos + length
    if (end + 2 > this.#buffer.length) throw new Incomplete(end + 2)
    const value = this.#buffer.subarray(this.pos, end)
    this.pos = end + 2
    return value
  }

  #array(length: number): RespValue[] | null {
    if (length < 0) return null
    const items: RespValue[] = new Array(length)
    for (let i = 0; i < length; i++) items[i] = this.read()
    return items
  }
}
