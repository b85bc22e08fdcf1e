import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../src/cache/keys'

function nested(depth: number): unknown {
  let value: unknown = 'leaf'
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { x: value }
  return value
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and otherwise writes what JSON.stringify writes', () => {
    const value = { b: [1, { d: null, c: 'é"\n' }, undefined], a: { z: true, y: undefined } }
    expect(canonicalJson(value)).toBe('{"a":{"z":true},"b":[1,{"c":"é\\"\\n","d":null},null]}')
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }))
    expect(canonicalJson([])).toBe('[]')
    expect(canonicalJson({})).toBe('{}')
  })

  it('does not overflow the stack on nesting far past the call stack', () => {
    const text = canonicalJson(nested(100_000))
    expect(text.startsWith('[{"x":[{"x":')).toBe(true)
    expect(text.length).toBeGreaterThan(300_000)
  })
})
