import { describe, expect, it } from 'vitest'
import { matchesPattern } from '../../src/tenancy/scopes'

describe('matchesPattern', () => {
  it('matches `*` as any run and everything else literally', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*gpt*-mini', 'openai/gpt-4o-mini', true],
      ['*gpt*-mini', 'gpt-mini', true],
      ['*gpt*-mini', 'gpt-mini-x', false],
      ['a*a', 'a', false],
      ['a*a', 'aa', true],
      ['a*b*c', 'abcabc', true],
      ['a*b*c', 'acb', false],
      ['**', '', true],
      ['a.b*', 'axb', false],
      ['mock/*', 'mock/', true],
      ['exact', 'exact', true],
      ['exact', 'exactly', false],
    ]
    for (const [pattern, value, expected] of cases) {
      expect(matchesPattern(pattern, value), `${pattern} ~ ${value}`).toBe(expected)
    }
  })

  it('takes linear time on a value built to make a backtracking matcher quadratic', () => {
    const value = `mock/${'gpt'.repeat(33_333)}`
    const started = performance.now()
    expect(matchesPattern('*gpt*-mini', value)).toBe(false)
    expect(performance.now() - started).toBeLessThan(50)
  })
})
