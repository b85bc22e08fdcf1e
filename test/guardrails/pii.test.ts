import { describe, expect, it } from 'vitest'
import { detectPii, isIPv6, luhn, mod97, PII_TYPES, type PiiType } from '../../src/guardrails/pii'
import { labelledSet } from './pii-corpus'

/** Floors the detectors must stay above on the labelled set (the closing note reports the figures). */
const PRECISION_FLOOR = 0.95
const RECALL_FLOOR = 0.95

describe('PII detectors on the labelled set', () => {
  const set = labelledSet()

  it('holds at least 300 strings, a third of them hard negatives', () => {
    expect(set.length).toBeGreaterThanOrEqual(300)
    expect(set.filter((entry) => entry.types.length === 0).length).toBeGreaterThan(100)
  })

  it('keeps precision and recall of every detector above the floors', () => {
    const tally = Object.fromEntries(PII_TYPES.map((type) => [type, { tp: 0, fp: 0, fn: 0 }]))
    const misses: string[] = []
    for (const entry of set) {
      const found = new Set(detectPii(entry.text).map((finding) => finding.type))
      for (const type of PII_TYPES) {
        const expected = entry.types.includes(type)
        const counts = tally[type]
        if (!counts) continue
        if (expected && found.has(type)) counts.tp++
        else if (found.has(type)) {
          counts.fp++
          misses.push(`false ${type}: ${entry.text}`)
        } else if (expected) {
          counts.fn++
          misses.push(`missed ${type}: ${entry.text}`)
        }
      }
    }
    const rows = PII_TYPES.map((type: PiiType) => {
      const { tp, fp, fn } = tally[type] ?? { tp: 0, fp: 0, fn: 0 }
      return {
        type,
        precision: tp / Math.max(1, tp + fp),
        recall: tp / Math.max(1, tp + fn),
        tp,
        fp,
        fn,
      }
    })
    console.log(JSON.stringify({ strings: set.length, rows, misses }))
    for (const row of rows) {
      expect(row.precision, `${row.type} precision; ${misses.join(' | ')}`).toBeGreaterThanOrEqual(
        PRECISION_FLOOR
      )
      expect(row.recall, `${row.type} recall; ${misses.join(' | ')}`).toBeGreaterThanOrEqual(
        RECALL_FLOOR
      )
    }
  })

  it('gives each finding a type, a span and a confidence', () => {
    const text = 'Mail jane@example.com or call (415) 555-1234.'
    const findings = detectPii(text)
    expect(findings.map((f) => [f.type, text.slice(f.start, f.end)])).toEqual([
      ['email', 'jane@example.com'],
      ['phone', '(415) 555-1234'],
    ])
    for (const finding of findings) expect(finding.confidence).toBeGreaterThan(0.5)
  })
})

describe('validators', () => {
  it('Luhn, mod 97 and IPv6 accept the real thing and refuse near misses', () => {
    expect(luhn('4111111111111111')).toBe(true)
    expect(luhn('4111111111111112')).toBe(false)
    expect(mod97('GB82WEST12345698765432')).toBe(true)
    expect(mod97('GB82WEST12345698765433')).toBe(false)
    expect(isIPv6('2001:db8::1')).toBe(true)
    expect(isIPv6('12:30:45')).toBe(false)
    expect(isIPv6('1::2::3')).toBe(false)
  })
})

describe('CPU budget', () => {
  it('scans a 200 KB prompt with every detector well within 200 ms', () => {
    const filler = 'The quick brown fox 12345 jumps over v1.2.3 lazy dogs; aaaa@ ::: 4111 '
    let text = ''
    while (text.length < 200_000) text += filler
    text += ' reach jane@example.com'
    // workerd's clock moves only across I/O, so CPU time is measured with Date around a loop.
    const runs = 3
    const started = Date.now()
    let found = 0
    for (let i = 0; i < runs; i++) found = detectPii(text).length
    const perRun = (Date.now() - started) / runs
    console.log(JSON.stringify({ detectors200KbMs: perRun }))
    expect(found).toBeGreaterThanOrEqual(1)
    expect(perRun).toBeLessThan(200)
  })
})
