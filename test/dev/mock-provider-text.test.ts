/** The mock provider's tokeniser and truncation, which its usage figures and streams rely on. */
import { describe, expect, it } from 'vitest'
import { countTokens, generatePieces, tokenize, truncate } from '../../dev/mock-provider/text.ts'

describe('mock provider text', () => {
  it('tokenises losslessly: words by up to four characters, other characters alone', () => {
    const text = '  Hello, wörld!\n2026 gateways…  '
    expect(tokenize(text).join('')).toBe(text)
    expect(tokenize('gateways are fast.')).toEqual(['gate', 'ways', ' are', ' fast', '.'])
    expect(countTokens('')).toBe(0)
  })

  it('generates one token per piece, reproducibly', () => {
    const pieces = generatePieces(42, 30)
    expect(pieces).toHaveLength(30)
    expect(countTokens(pieces.join(''))).toBe(30)
    expect(generatePieces(42, 30)).toEqual(pieces)
    expect(generatePieces(43, 30)).not.toEqual(pieces)
  })

  it('truncates at max tokens first, then before the earliest stop sequence', () => {
    const pieces = ['One', ' two', ' three', ' four']
    expect(truncate(pieces, 2, [])).toEqual({ pieces: ['One', ' two'], finish: 'length' })
    expect(truncate(pieces, undefined, ['ree', 'fo'])).toEqual({
      pieces: ['One', ' two', ' th'],
      finish: 'stop_sequence',
      stopSequence: 'ree',
    })
    expect(truncate(pieces, 2, ['four'])).toEqual({ pieces: ['One', ' two'], finish: 'length' })
  })
})
