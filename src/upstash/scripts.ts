/**
 * @module
 * Lua scripts sent as EVALSHA once the isolate knows their digest, so a request ships a 40-byte
 * digest instead of the whole script text. The call is issued synchronously, which keeps it in
 * the same auto-pipelined HTTP request as every other command its caller issues in that tick.
 */
import type { Redis } from '@upstash/redis/cloudflare'
import { digestHex } from '../lib/crypto'

export type LuaScript = { readonly text: string; sha?: string; digesting?: boolean }

export function luaScript(text: string): LuaScript {
  return { text }
}

export function runScript<T>(
  redis: Pick<Redis, 'eval' | 'evalsha'>,
  script: LuaScript,
  keys: string[],
  args: string[]
): Promise<T> {
  const { sha } = script
  if (sha === undefined) {
    // Digested on first use, not at import: startup stays free of work a request may not need.
    if (!script.digesting) {
      script.digesting = true
      void digestHex(script.text, 'SHA-1').then((digest) => {
        script.sha = digest
      })
    }
    // Until the digest is known, EVAL sends the text (and Redis caches it for the EVALSHAs).
    return redis.eval<string[], T>(script.text, keys, args)
  }
  return redis.evalsha<string[], T>(sha, keys, args).catch((error: unknown) => {
    // Redis forgot the script (a restart, SCRIPT FLUSH): the text loads it again.
    if (!String(error).includes('NOSCRIPT')) throw error
    return redis.eval<string[], T>(script.text, keys, args)
  })
}
