/** Token flags of `npm run upstash-local`: which database and index each token goes to. */
import { describe, expect, it } from 'vitest'
import { redisTokens, vectorTokens } from '../../dev/upstash-local/tokens.ts'

/** Numbered fresh tokens, so a test can tell which ones were generated. */
function counter() {
  let next = 0
  return () => `fresh-${++next}`
}

describe('redisTokens', () => {
  it('gives database 0 and each of --redis-databases N a token of its own', () => {
    expect(redisTokens([], undefined, counter())).toEqual({ main: 'fresh-1', databases: [] })
    expect(redisTokens([], '2', counter())).toEqual({
      main: 'fresh-1',
      databases: [
        { db: 1, token: 'fresh-2' },
        { db: 2, token: 'fresh-3' },
      ],
    })
  })

  it('fixes tokens per database, and a token for a later database adds the ones before it', () => {
    expect(redisTokens(['main-token', '3=third=='], '1', counter())).toEqual({
      main: 'main-token',
      databases: [
        { db: 1, token: 'fresh-1' },
        { db: 2, token: 'fresh-2' },
        { db: 3, token: 'third==' },
      ],
    })
  })

  it('refuses databases redis-server does not have, bad counts and repeats', () => {
    expect(() => redisTokens(['16=t'], undefined, counter())).toThrow(/databases 0 to 15/)
    expect(() => redisTokens([], '-1', counter())).toThrow(/--redis-databases/)
    expect(() => redisTokens([], 'two', counter())).toThrow(/--redis-databases/)
    expect(() => redisTokens(['a', '0=b'], undefined, counter())).toThrow(/given twice/)
  })
})

describe('vectorTokens', () => {
  const indexes = ['gateway', 'docs', 'images']

  it('gives each index its named token, the bare one or a fresh one', () => {
    const tokens = vectorTokens(['docs=d-token', 'shared'], indexes, counter())
    expect(Object.fromEntries(tokens)).toEqual({
      gateway: 'shared',
      docs: 'd-token',
      images: 'shared',
    })
    expect(Object.fromEntries(vectorTokens(['images=i'], indexes, counter()))).toEqual({
      gateway: 'fresh-1',
      docs: 'fresh-2',
      images: 'i',
    })
  })

  it('keeps a token whose text before = names no index whole', () => {
    const tokens = vectorTokens(['AbC=='], ['gateway'], counter())
    expect(tokens.get('gateway')).toBe('AbC==')
  })

  it('refuses two bare tokens and an index named twice', () => {
    expect(() => vectorTokens(['a', 'b'], indexes, counter())).toThrow(/only one token/)
    expect(() => vectorTokens(['docs=a', 'docs=b'], indexes, counter())).toThrow(/given twice/)
  })
})
