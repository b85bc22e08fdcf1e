import { describe, expect, it } from 'vitest'
import { headerValue } from '../../src/lib/header-value'

describe('headerValue', () => {
  it('escapes what a header cannot carry and leaves printable ASCII alone', () => {
    const raw = 'mock/a\u0000b\r\nc\u007f\u00e9\u4e16 d'
    const escaped = headerValue(raw)
    expect(escaped).toBe('mock/a%00b%0D%0Ac%7F%E9%u4E16 d')
    // Headers refuses NUL, CR and LF: the escaped value is accepted as is.
    expect(new Headers({ 'x-gateway-target': escaped }).get('x-gateway-target')).toBe(escaped)
    expect(headerValue('openai/gpt-4o-mini')).toBe('openai/gpt-4o-mini')
  })
})
