/**
 * The Redis REST stand-in driven only through the official @upstash/redis client with its
 * default options (auto-pipelining, base64 responses, read-your-writes), as the gateway uses it.
 */
import { Redis } from '@upstash/redis/cloudflare'
import { describe, expect, inject, it } from 'vitest'

const url = inject('redisRestUrl')
const token = inject('redisRestToken')
const redis = new Redis({ url, token })
const key = (name: string) => `test:upstash-redis:${crypto.randomUUID()}:${name}`

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

describe('@upstash/redis against the stand-in', () => {
  it('round-trips strings, including unicode and values that look like status replies', async () => {
    const values = {
      plain: 'bar',
      unicode: 'héllo wörld ✓ 日本語 🚀',
      control: 'tab\there\nnewline\u0000nul',
      ok: 'OK',
      pong: 'PONG',
      empty: '',
    }
    const keys = Object.fromEntries(Object.keys(values).map((name) => [name, key(name)]))
    await Promise.all(
      Object.entries(values).map(([name, value]) => redis.set(keys[name] ?? '', value))
    )
    for (const [name, value] of Object.entries(values)) {
      expect(await redis.get(keys[name] ?? '')).toBe(value)
    }
    expect(await redis.get(key('missing'))).toBeNull()
  })

  it('keeps counters, expiries and numeric strings exact', async () => {
    const counter = key('counter')
    expect(await redis.incr(counter)).toBe(1)
    expect(await redis.incrby(counter, 41)).toBe(42)
    expect(await redis.incrbyfloat(counter, 0.5)).toBe(42.5)
    const expiring = key('expiring')
    expect(await redis.set(expiring, 'v', { ex: 100 })).toBe('OK')
    const ttl = await redis.ttl(expiring)
    expect(ttl).toBeGreaterThan(90)
    expect(ttl).toBeLessThanOrEqual(100)
    // Too big for a double: the client keeps it as text, so the bytes must arrive unchanged.
    const big = key('big')
    await redis.set(big, '12345678901234567890123')
    expect(await redis.get(big)).toBe('12345678901234567890123')
    expect(await redis.set(big, 'x', { nx: true })).toBeNull()
  })

  it('round-trips values of several megabytes, which reach the stand-in in many chunks', async () => {
    const large = key('large')
    const value = `${'ü✓x'.repeat(400_000)}end`
    await redis.set(large, value)
    const [length, fetched] = await Promise.all([redis.strlen(large), redis.get(large)])
    expect(length).toBe(new TextEncoder().encode(value).length)
    expect(fetched).toBe(value)
  })

  it('round-trips JSON objects and arrays', async () => {
    const doc = key('doc')
    const value = { name: 'gateway', tags: ['a', 'ü'], nested: { n: 1.25, ok: true, none: null } }
    await redis.set(doc, value)
    expect(await redis.get(doc)).toEqual(value)
    const field = key('hash-json')
    await redis.hset(field, { profile: { plan: 'pro', seats: 3 } })
    expect(await redis.hget(field, 'profile')).toEqual({ plan: 'pro', seats: 3 })
  })

  it('handles hashes', async () => {
    const hash = key('hash')
    expect(await redis.hset(hash, { a: 'x', b: 2, c: 'ç' })).toBe(3)
    expect(await redis.hgetall(hash)).toEqual({ a: 'x', b: 2, c: 'ç' })
    expect(await redis.hincrby(hash, 'b', 5)).toBe(7)
    expect(await redis.hmget(hash, 'a', 'missing')).toEqual({ a: 'x', missing: null })
    expect(await redis.hdel(hash, 'a', 'c')).toBe(2)
    expect(await redis.hkeys(hash)).toEqual(['b'])
    expect(await redis.hgetall(key('no-hash'))).toBeNull()
  })

  it('handles sorted sets', async () => {
    const zset = key('zset')
    expect(
      await redis.zadd(zset, { score: 1.5, member: 'one' }, { score: 3, member: 'three' })
    ).toBe(2)
    expect(await redis.zincrby(zset, 2, 'one')).toBe(3.5)
    expect(await redis.zscore(zset, 'three')).toBe(3)
    expect(await redis.zrange(zset, 0, -1, { withScores: true })).toEqual(['three', 3, 'one', 3.5])
    expect(await redis.zrange(zset, 3.2, 10, { byScore: true })).toEqual(['one'])
    expect(await redis.zrank(zset, 'one')).toBe(1)
    expect(await redis.zcard(zset)).toBe(2)
  })

  it('runs explicit pipelines in order and reports per-command errors', async () => {
    const text = key('text')
    const results = await redis
      .pipeline()
      .set(text, 'abc')
      .incr(text)
      .append(text, 'def')
      .get(text)
      .exec({ keepErrors: true })
    expect(results.map((item) => item.result)).toEqual(['OK', undefined, 6, 'abcdef'])
    expect(results[1]?.error).toMatch(/^ERR value is not an integer/)
    await expect(redis.pipeline().incr(text).exec()).rejects.toThrow(/not an integer/)
  })

  it('auto-pipelines concurrent commands from one tick', async () => {
    const prefix = key('auto')
    const writes = Array.from({ length: 200 }, (_, i) => redis.set(`${prefix}:${i}`, i))
    expect(new Set(await Promise.all(writes))).toEqual(new Set(['OK']))
    const reads = await Promise.all(
      Array.from({ length: 200 }, (_, i) => redis.get(`${prefix}:${i}`))
    )
    expect(reads).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  it('keeps 50 concurrent transactions atomic and apart', async () => {
    const shared = key('shared')
    const transactions = Array.from({ length: 50 }, (_, i) => {
      const own = key(`tx-${i}`)
      return redis.multi().set(own, `v${i}`).append(own, '!').get(own).incr(shared).exec()
    })
    const results = await Promise.all(transactions)
    results.forEach((result, i) => {
      expect(result.slice(0, 3)).toEqual(['OK', `v${i}!`.length, `v${i}!`])
    })
    const counts = results.map((result) => result[3]).sort((a, b) => Number(a) - Number(b))
    expect(counts).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
  })

  it('runs scripts with eval, scriptLoad, evalsha and scriptExists', async () => {
    const hash = key('script')
    const lua =
      "redis.call('HSET', KEYS[1], 'f', ARGV[1]); return {redis.call('HGET', KEYS[1], 'f'), 7, false}"
    // Lua false becomes a null element; it does not end the table the way nil would.
    expect(await redis.eval(lua, [hash], ['val'])).toEqual(['val', 7, null])
    const sha = await redis.scriptLoad(lua)
    expect(sha).toBe(await sha1Hex(lua))
    expect(await redis.evalsha(sha, [hash], ['again'])).toEqual(['again', 7, null])
    expect(await redis.scriptExists(sha, '0'.repeat(40))).toEqual([1, 0])
    await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/)
  })

  it('accepts the Upstash-only allow-key-locking shebang flag and keeps the client SHA', async () => {
    const counter = key('locked')
    const lua = `#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`
    const script = redis.createScript<number>(lua)
    // First call: EVALSHA misses, the client falls back to EVAL; the second hits the mapped SHA.
    expect(await script.exec([counter], ['2'])).toBe(2)
    expect(await script.exec([counter], ['3'])).toBe(5)
    expect(script.sha1).toBe(await sha1Hex(lua))
    expect(await redis.scriptExists(script.sha1)).toEqual([1])
    expect(await redis.scriptLoad(lua)).toBe(script.sha1)
    const readOnly = redis.createScript<number, true>(
      `#!lua flags=no-writes,allow-key-locking\nreturn redis.call('GET', KEYS[1])`,
      { readonly: true }
    )
    expect(await readOnly.exec([counter], [])).toBe(5)
    expect(await redis.multi().evalsha(script.sha1, [counter], ['1']).get(counter).exec()).toEqual([
      6, 6,
    ])
  })

  it('rejects unknown commands and keeps serving', async () => {
    await expect(redis.exec(['NOSUCHCOMMAND', 'x'])).rejects.toThrow(/unknown command/)
    await expect(redis.exec(['SELECT', '1'])).rejects.toThrow(/not available/)
    expect(await redis.ping()).toBe('PONG')
  })

  it('works without base64 responses and without auto-pipelining', async () => {
    const plain = new Redis({ url, token, responseEncoding: false, enableAutoPipelining: false })
    const text = key('plain')
    await plain.set(text, 'ünïcode ✓')
    expect(await plain.get(text)).toBe('ünïcode ✓')
    expect(await redis.get(text)).toBe('ünïcode ✓')
    expect(await plain.ping()).toBe('PONG')
  })
})
