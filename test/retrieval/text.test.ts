import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../src/errors'
import { estimateTokens } from '../../src/lib/tokens'
import { chunkBlocks } from '../../src/retrieval/chunk'
import { cleanDocument } from '../../src/retrieval/clean'
import { validateFilter } from '../../src/retrieval/filter'

describe('cleaning', () => {
  it('turns markdown into headings and paragraphs of plain text', () => {
    const markdown = [
      'Title',
      '=====',
      '',
      'Some **bold**, _italic_ and `code` with a [link](https://x) and ![an image](i.png).',
      '',
      '## Steps',
      '* first',
      '* second',
      '',
      '```js',
      'const a = 1 // kept',
      '```',
      '',
      '| a | b |',
      '|---|---|',
      '| 1 | 2 |',
    ].join('\n')
    expect(cleanDocument(markdown, 'markdown')).toEqual([
      { heading: true, text: 'Title' },
      { heading: false, text: 'Some bold, italic and code with a link and an image.' },
      { heading: true, text: 'Steps' },
      { heading: false, text: '- first\n- second' },
      { heading: false, text: 'const a = 1 // kept' },
      { heading: false, text: 'a | b\n1 | 2' },
    ])
  })

  it('turns html into text without scripts, styles or navigation, entities decoded', () => {
    const html = `<html><head><title>T</title><style>p{color:red}</style></head><body>
      <nav><a href="/">Home</a></nav><h1>Fish &amp; <em>chips</em></h1>
      <p>Caf&eacute;s&nbsp;serve it &#8212; hot.<br>Twice a day.</p><script>alert(1)</script>
      <ul><li>salt</li><li>vinegar</li></ul><!-- hidden --></body></html>`
    expect(cleanDocument(html, 'html')).toEqual([
      { heading: true, text: 'Fish & chips' },
      { heading: false, text: 'Caf&eacute;s serve it \u2014 hot.\nTwice a day.' },
      { heading: false, text: '- salt\n- vinegar' },
    ])
  })
})

const words = (count: number, word = 'lorem') => Array.from({ length: count }, () => word).join(' ')

describe('chunking', () => {
  it('keeps small sections together and starts a section that does not fit at its heading', () => {
    const blocks = [
      { heading: true, text: 'One' },
      { heading: false, text: words(20, 'aaaa') },
      { heading: true, text: 'Two' },
      { heading: false, text: words(20, 'bbbb') },
      { heading: true, text: 'Three' },
      { heading: false, text: words(60, 'cccc') },
    ]
    const chunks = chunkBlocks(blocks, { size: 100, overlap: 10 })
    expect(chunks.map((chunk) => chunk.split('\n')[0])).toEqual(['One', 'Three'])
    expect(chunks[0]).toContain('Two\n\nbbbb')
    for (const chunk of chunks) expect(estimateTokens(chunk)).toBeLessThanOrEqual(100)
  })

  it('splits a long paragraph at sentences, with overlap between neighbours', () => {
    const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} is here.`)
    const chunks = chunkBlocks([{ heading: false, text: sentences.join(' ') }], {
      size: 50,
      overlap: 10,
    })
    expect(chunks.length).toBeGreaterThan(3)
    for (const [i, chunk] of chunks.entries()) {
      expect(estimateTokens(chunk)).toBeLessThanOrEqual(50)
      // Whole sentences: each chunk after the first repeats the last sentence of the one before.
      expect(chunk).toMatch(/^Sentence number \d+ is here\..*\.$/)
      const lastSentence = /Sentence number \d+ is here\.$/.exec(chunks[i - 1] ?? '')?.[0]
      if (i > 0) expect(chunk.startsWith(lastSentence ?? '-')).toBe(true)
    }
    const joined = chunks.join(' ')
    for (const sentence of sentences) expect(joined).toContain(sentence)
  })

  it('cuts text with no boundary at the size and loses nothing', () => {
    const token = 'x'.repeat(1000)
    const chunks = chunkBlocks([{ heading: false, text: token }], { size: 50, overlap: 0 })
    expect(chunks.join('')).toBe(token)
    expect(chunks.every((chunk) => chunk.length <= 200)).toBe(true)
  })
})

describe('filter validation', () => {
  const valid = [
    "genre = 'drama' AND year >= 1990",
    "(a = 1 OR b != 'x') AND c < 2.5",
    "tags CONTAINS 'hr' AND tags NOT CONTAINS 'old'",
    "name GLOB 'a*' OR name NOT GLOB '[b-c]?'",
    "x IN ('a', 2, true) AND y NOT IN (1)",
    'HAS FIELD title AND HAS NOT FIELD draft',
    'nested.value[0] = 1 AND list[#-1] = FALSE',
    'has = 1',
    '',
  ]
  it.each(valid)('accepts %s', (filter) => {
    expect(() => validateFilter(filter, 'filter')).not.toThrow()
  })

  const invalid: Array<[string, number]> = [
    ["genre = 'drama' AND", 19],
    ["genre == 'drama'", 7],
    ['year >', 6],
    ['x IN (1, 2', 10],
    ["a = 'open", 4],
    ['(a = 1', 6],
    ['a = 1 b = 2', 6],
    ['a ~ 1', 2],
    ['HAS FIELD', 9],
    ['a NOT = 1', 6],
  ]
  it.each(invalid)('refuses %s at position %i', (filter, position) => {
    let error: unknown
    try {
      validateFilter(filter, 'retrieval.filter')
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(GatewayError)
    expect((error as GatewayError).param).toBe('retrieval.filter')
    expect((error as GatewayError).message).toMatch(
      new RegExp(`^Invalid filter at position ${position}: `)
    )
  })
})
