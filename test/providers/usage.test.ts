import { describe, expect, it } from 'vitest'
import { readUsage } from '../../src/providers/usage'

describe('readUsage', () => {
  it('reads OpenAI usage, with cached tokens from the details', () => {
    expect(
      readUsage({
        prompt_tokens: 12,
        completion_tokens: 30,
        prompt_tokens_details: { cached_tokens: 4 },
      })
    ).toEqual({ promptTokens: 12, completionTokens: 30, cachedTokens: 4 })
  })

  it('makes whole, non-negative counts of what a custom upstream sends', () => {
    expect(readUsage({ prompt_tokens: 12.6, completion_tokens: -3 })).toEqual({
      promptTokens: 13,
      completionTokens: 0,
      cachedTokens: 0,
    })
  })

  it('is undefined when the upstream did not say, or said something that is no count', () => {
    expect(readUsage(null)).toBeUndefined()
    expect(readUsage({ prompt_tokens: Number.NaN })).toBeUndefined()
    expect(readUsage({ prompt_tokens: '12' })).toBeUndefined()
  })
})
