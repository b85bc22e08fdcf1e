/**
 * Upstash's `allow-key-locking` shebang flag (used by @upstash/ratelimit >= 2.1) is unknown to
 * stock Redis, which rejects the whole script. We strip the flag before Redis sees the script and
 * remember which SHA-1 the client knows (the original text's) for the one Redis knows.
 */
import { createHash } from 'node:crypto'

const UPSTASH_ONLY_FLAG = 'allow-key-locking'
const SHEBANG = /^#!lua(?<options>[^\r\n]*)/

export class ScriptRewriter {
  readonly #redisShaByClientSha = new Map<string, string>()

  /** The script Redis can run; records the SHA mapping when the text had to change. */
  rewrite(source: string): string {
    const options = SHEBANG.exec(source)?.groups?.options
    if (options === undefined || !options.includes(UPSTASH_ONLY_FLAG)) return source
    const kept = options
      .trim()
      .split(/\s+/)
      .map((option) => (option.startsWith('flags=') ? withoutUpstashFlag(option) : option))
      .filter((option) => option !== '')
    // A bare `#!lua` keeps the line so Lua error line numbers still match the client's text.
    const shebang = ['#!lua', ...kept].join(' ')
    const rewritten = shebang + source.slice(`#!lua${options}`.length)
    this.#redisShaByClientSha.set(sha1(source), sha1(rewritten))
    return rewritten
  }

  /** The SHA Redis knows for a SHA the client computed; unknown SHAs pass through unchanged. */
  redisSha(clientSha: string): string {
    return this.#redisShaByClientSha.get(clientSha.toLowerCase()) ?? clientSha
  }
}

function withoutUpstashFlag(option: string): string {
  const flags = option
    .slice('flags='.length)
    .split(',')
    .filter((flag) => flag !== UPSTASH_ONLY_FLAG)
  return flags.length > 0 ? `flags=${flags.join(',')}` : ''
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex')
}
