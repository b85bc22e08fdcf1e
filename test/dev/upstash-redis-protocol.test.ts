/**
 * Protocol edges of the Redis REST stand-in that the official client cannot produce: bad input,
 * wrong tokens, refusals, byte-exact base64 and the path form. Hand-built fetch on purpose.
 */
import { describe, expect, inject, it } from 'vitest'

const url = inject('redisRestUrl')
const token = inject('redisRestToken')
const readonlyToken = inject('redisRestReadonlyToken')
const secondToken = inject('redisRestToken2')
const key = (name: string) => `test:redis-protocol:${crypto.randomUUID()}:${name}`

type Reply = { status: number; body: unknown; syncToken: string | null }

async function call(
  path: string,
  body: unknown,
  options: { token?: string | null; base64?: boolean; method?: string; raw?: boolean } = {}
): Promise<Reply> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'upstash-sync-token': '',
  }
  const bearer = options.token === undefined ? token : options.token
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`
  if (options.base64 !== false) headers['upstash-encoding'] = 'base64'
  const response = await fetch(`${url}${path}`, {
    method: options.method ?? 'POST',
    headers,
    body: options.raw ? String(body) : body === undefined ? undefined : JSON.stringify(body),
  })
  expect(response.headers.get('content-type')).toBe('application/json')
  return {
    status: response.status,
    body: await response.json(),
    syncToken: response.headers.get('upstash-sync-token'),
  }
}

describe('Redis REST stand-in protocol', () => {
  it('answers the documented test vectors', async () => {
    const name = key('bar')
    expect(await call('/', ['SET', name, 'bar'])).toMatchObject({
      status: 200,
      body: { result: 'OK' },
    })
    expect((await call('/', ['GET', name])).body).toEqual({ result: 'YmFy' })
    expect((await call('/', ['GET', key('missing')])).body).toEqual({ result: null })
    expect((await call('/', ['PING'])).body).toEqual({ result: 'UE9ORw==' })
    expect(await call('/', ['INCR', name])).toMatchObject({
      status: 400,
      body: { error: 'ERR value is not an integer or out of range' },
    })
    const a = key('a')
    const pipeline = await call('/pipeline', [
      ['SET', a, 1],
      ['INCR', key('x')],
      ['GET', a],
    ])
    expect(pipeline).toMatchObject({
      status: 200,
      body: [{ result: 'OK' }, { result: 1 }, { result: 'MQ==' }],
    })
    expect(pipeline.syncToken).toMatch(/^\d+$/)
  })

  it('encodes raw bytes exactly and leaves plain text alone without the header', async () => {
    const bytes = await call('/', ['EVAL', 'return string.char(255, 0, 1, 128)', 0])
    expect(bytes.body).toEqual({ result: '/wABgA==' })
    const name = key('text')
    await call('/', ['SET', name, 'żółw ✓'])
    expect((await call('/', ['GET', name], { base64: false })).body).toEqual({ result: 'żółw ✓' })
    const nested = await call('/', ['EVAL', "return {1, 'two', {redis.status_reply('OK')}}", 0])
    expect(nested.body).toEqual({ result: [1, 'dHdv', ['T0s=']] })
  })

  it('refuses bad tokens with 401 and keeps serving', async () => {
    const wrong = { status: 401, body: { error: expect.stringMatching(/^WRONGPASS/) } }
    expect(await call('/', ['PING'], { token: 'not-the-token' })).toMatchObject(wrong)
    expect(await call('/', ['PING'], { token: null })).toMatchObject(wrong)
    expect(await call('/pipeline', [['PING']], { token: `${token}x` })).toMatchObject(wrong)
    const viaQuery = await fetch(`${url}/ping?_token=${encodeURIComponent(token)}`)
    expect(await viaQuery.json()).toEqual({ result: 'PONG' })
    expect((await call('/', ['PING'])).status).toBe(200)
  })

  it('rejects malformed bodies with 400', async () => {
    const badJson = await call('/', '["SET", "k"', { raw: true })
    expect(badJson).toMatchObject({ status: 400, body: { error: expect.stringMatching(/JSON/) } })
    for (const [path, body] of [
      ['/', {}],
      ['/', []],
      ['/', ['SET', { nested: true }, 'v']],
      ['/pipeline', ['GET', 'k']],
      ['/multi-exec', { commands: [] }],
    ] as const) {
      const reply = await call(path, body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body).toEqual({ error: expect.stringMatching(/^ERR /) })
    }
    expect((await call('/', ['DEL', key('k')], { method: 'DELETE' })).status).toBe(405)
    expect((await call('/', ['PING'])).body).toEqual({ result: 'UE9ORw==' })
  })

  it('gives the read-only token reads but refuses writes, SCAN and KEYS', async () => {
    const name = key('ro')
    await call('/', ['SET', name, 'v'])
    expect((await call('/', ['GET', name], { token: readonlyToken })).body).toEqual({
      result: 'dg==',
    })
    for (const command of [
      ['SET', name, 'w'],
      ['DEL', name],
      ['SCAN', '0'],
      ['EVAL', 'return 1', '0'],
    ]) {
      expect(await call('/', command, { token: readonlyToken })).toMatchObject({
        status: 403,
        body: { error: expect.stringMatching(/^NOPERM/) },
      })
    }
    const pipeline = await call(
      '/pipeline',
      [
        ['GET', name],
        ['SET', name, 'w'],
      ],
      {
        token: readonlyToken,
      }
    )
    expect(pipeline.body).toEqual([{ result: 'dg==' }, { error: expect.stringMatching(/^NOPERM/) }])
    expect((await call('/multi-exec', [['SET', name, 'w']], { token: readonlyToken })).status).toBe(
      403
    )
    expect((await call('/', ['GET', name])).body).toEqual({ result: 'dg==' })
  })

  it('refuses connection-state and blocking commands', async () => {
    for (const command of [
      ['SELECT', '1'],
      ['MULTI'],
      ['BLPOP', key('l'), '1'],
      ['CLIENT', 'ID'],
      ['SUBSCRIBE', 'c'],
    ]) {
      expect(await call('/', command)).toMatchObject({
        status: 400,
        body: { error: expect.stringMatching(/not available/) },
      })
    }
    const xread = ['XREAD', 'BLOCK', '0', 'STREAMS', key('s'), '$']
    expect((await call('/pipeline', [xread, ['PING']])).body).toEqual([
      { error: expect.stringMatching(/not available/) },
      { result: 'UE9ORw==' },
    ])
  })

  it('runs transactions: per-item runtime errors at 200, discarded transactions non-2xx', async () => {
    const name = key('tx')
    const executed = await call('/multi-exec', [
      ['SET', name, 'a'],
      ['INCR', name],
      ['GET', name],
    ])
    expect(executed).toMatchObject({
      status: 200,
      body: [{ result: 'OK' }, { error: expect.stringMatching(/^ERR/) }, { result: 'YQ==' }],
    })
    const aborted = await call('/multi-exec', [['SET', name, 'b'], ['NOSUCHCOMMAND']])
    expect(aborted).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^EXECABORT.*unknown command/) },
    })
    expect(
      (
        await call('/multi-exec', [
          ['SET', name, 'c'],
          ['WATCH', name],
        ])
      ).status
    ).toBe(400)
    expect((await call('/', ['GET', name])).body).toEqual({ result: 'YQ==' })
  })

  it('passes NOSCRIPT through and keeps script SHAs consistent across routes', async () => {
    const missing = await call('/pipeline', [['EVALSHA', 'f'.repeat(40), 0]])
    expect(missing.body).toEqual([{ error: expect.stringMatching(/^NOSCRIPT/) }])
    const lua = `#!lua flags=allow-key-locking,no-writes\nreturn ARGV[1]`
    const load = await call('/multi-exec', [['SCRIPT', 'LOAD', lua]], { base64: false })
    const [loaded] = load.body as Array<{ result: string }>
    const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(lua))
    const sha = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
    expect(loaded?.result).toBe(sha)
    expect((await call('/', ['EVALSHA_RO', sha, 0, 'hi'], { token: readonlyToken })).body).toEqual({
      result: 'aGk=',
    })
    expect((await call('/', ['SCRIPT', 'EXISTS', sha])).body).toEqual({ result: [1] })
  })

  it('supports the path form and keeps extra tokens on their own database', async () => {
    const name = key('path')
    const set = await fetch(`${url}/set/${encodeURIComponent(name)}?EX=100`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: 'hello world',
    })
    expect(await set.json()).toEqual({ result: 'OK' })
    const get = await fetch(`${url}/get/${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(await get.json()).toEqual({ result: 'hello world' })
    expect((await call('/', ['GET', name], { token: secondToken })).body).toEqual({ result: null })
    await call('/', ['SET', name, 'second'], { token: secondToken })
    expect((await call('/', ['GET', name], { base64: false })).body).toEqual({
      result: 'hello world',
    })
  })
})
