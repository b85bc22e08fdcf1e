/**
 * Pub/sub over SSE, through @upstash/redis's own subscribe() and psubscribe(), which parse the
 * stream Upstash serves, and through raw requests for the exact frames.
 */
import { Redis } from '@upstash/redis/cloudflare'
import { describe, expect, inject, it } from 'vitest'

const url = inject('redisRestUrl')
const token = inject('redisRestToken')
const redis = new Redis({ url, token })
const channel = (name: string) => `test:pubsub:${crypto.randomUUID()}:${name}`

/** Collects one kind of a Subscriber's events so a test can wait for the first few. */
function recorder<T>() {
  const seen: T[] = []
  const waiters: Array<() => void> = []
  return {
    add(event: T) {
      seen.push(event)
      for (const wake of waiters.splice(0)) wake()
    },
    async next(count: number): Promise<T[]> {
      const deadline = Date.now() + 5000
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`saw ${seen.length} of ${count} events`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 100)
        })
      }
      return seen.slice(0, count)
    },
  }
}

/** Publishes until nobody receives: proves the stand-in closed the stream's Redis connection. */
async function untilNobodyListens(name: string): Promise<void> {
  const deadline = Date.now() + 5000
  while ((await redis.publish(name, 'anyone?')) !== 0) {
    if (Date.now() > deadline) throw new Error(`${name} still has subscribers`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('Redis stand-in pub/sub through @upstash/redis', () => {
  it('delivers messages to subscribe(), JSON and commas included, and unsubscribes', async () => {
    const name = channel('plain')
    const subscriber = redis.subscribe<unknown>(name)
    const counts = recorder<number>()
    subscriber.on('subscribe', (count) => counts.add(count))
    const messages = recorder<{ channel: string; message: unknown }>()
    subscriber.on('message', (event) => messages.add(event))
    expect(await counts.next(1)).toEqual([1])
    expect(await redis.publish(name, { hello: 'world' })).toBe(1)
    expect(await redis.publish(name, 'a,b,c')).toBe(1)
    expect(await messages.next(2)).toEqual([
      { channel: name, message: { hello: 'world' } },
      { channel: name, message: 'a,b,c' },
    ])
    await subscriber.unsubscribe()
    await untilNobodyListens(name)
  })

  it('delivers pattern messages to psubscribe()', async () => {
    const prefix = channel('pattern')
    const subscriber = redis.psubscribe<{ n: number }>(`${prefix}:*`)
    const counts = recorder<number>()
    subscriber.on('psubscribe', (count) => counts.add(count))
    const messages = recorder<{ pattern: string; channel: string; message: unknown }>()
    subscriber.on('pmessage', (event) => messages.add(event))
    expect(await counts.next(1)).toEqual([1])
    // The client JSON-parses pattern messages strictly, so publish JSON.
    await redis.publish(`${prefix}:one`, { n: 1 })
    expect(await messages.next(1)).toEqual([
      { pattern: `${prefix}:*`, channel: `${prefix}:one`, message: { n: 1 } },
    ])
    await subscriber.unsubscribe()
    await untilNobodyListens(`${prefix}:one`)
  })
})

describe('Redis stand-in pub/sub on the wire', () => {
  it('streams text/event-stream frames for every channel in the path', async () => {
    const [first, second] = [channel('first'), channel('second')]
    const abort = new AbortController()
    const response = await fetch(`${url}/subscribe/${first}/${second}`, {
      headers: { authorization: `Bearer ${token}`, 'upstash-encoding': 'base64' },
      signal: abort.signal,
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const reader = response.body?.getReader()
    if (!reader) throw new Error('no body')
    let text = ''
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`stream ended before ${needle}`)
        text += new TextDecoder().decode(value)
      }
    }
    await readUntil(`subscribe,${second},2`)
    await redis.publish(second, 'two\nlines')
    await readUntil('data: lines\n\n')
    expect(text).toBe(
      `data: subscribe,${first},1\n\ndata: subscribe,${second},2\n\n` +
        `data: message,${second},two\ndata: lines\n\n`
    )
    abort.abort()
    await untilNobodyListens(second)
  })

  it('refuses a bad token with 401 and a subscription without a channel with 400', async () => {
    const wrongToken = await fetch(`${url}/subscribe/${channel('x')}`, {
      headers: { authorization: 'Bearer wrong' },
    })
    expect(wrongToken.status).toBe(401)
    expect(await wrongToken.json()).toEqual({ error: expect.stringMatching(/^WRONGPASS/) })
    const noChannel = await fetch(`${url}/psubscribe`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '[]',
    })
    expect(noChannel.status).toBe(400)
    expect(await noChannel.json()).toEqual({ error: expect.stringMatching(/^ERR /) })
  })
})
