import { SemanticCache } from '@upstash/semantic-cache'
import { describe, expect, it } from 'vitest'
import { freshNamespace, testIndex } from './upstash-vector-helpers'

/**
 * @upstash/semantic-cache on the stand-in's text index. The local embedder only knows shared
 * words, so the paraphrase below shares most of its words with the cached prompt.
 */
function cache(minProximity: number) {
  return new SemanticCache({
    index: testIndex('test-text'),
    minProximity,
    namespace: freshNamespace('cache'),
  })
}

describe('@upstash/semantic-cache against the Vector stand-in', () => {
  it('answers exact and close prompts above minProximity and misses unrelated ones', async () => {
    const semantic = cache(0.8)
    await semantic.set('What is the capital city of France?', 'Paris')
    expect(await semantic.get('What is the capital city of France?')).toBe('Paris')
    expect(await semantic.get('what is the capital city of france')).toBe('Paris')
    expect(await semantic.get('Tell me the capital city of France')).toBe('Paris')
    expect(await semantic.get('How do I bake sourdough bread?')).toBeUndefined()
  })

  it('misses a paraphrase when minProximity is above its score', async () => {
    const strict = cache(0.99)
    await strict.set('What is the capital city of France?', 'Paris')
    expect(await strict.get('Tell me the capital city of France')).toBeUndefined()
    expect(await strict.get('What is the capital city of France?')).toBe('Paris')
  })

  it('stores several entries, deletes one and flushes the rest', async () => {
    const semantic = cache(0.9)
    await semantic.set(['largest planet', 'smallest planet'], ['Jupiter', 'Mercury'])
    expect(await semantic.get(['largest planet', 'smallest planet'])).toEqual([
      'Jupiter',
      'Mercury',
    ])
    expect(await semantic.delete('largest planet')).toBe(1)
    expect(await semantic.get('largest planet')).not.toBe('Jupiter')
    await semantic.flush()
    expect(await semantic.get('smallest planet')).toBeUndefined()
  })
})
