import { describe, expect, it } from 'vitest'
import { backoffMs, batchFiles, documentId, formatOf, toDocument } from '../../dev/ingest/plan.ts'
import { emptyCounts, progressBar, progressLine, summary } from '../../dev/ingest/progress.ts'

const file = (relativePath: string, bytes = 10) => ({
  path: `/root/${relativePath}`,
  relativePath,
  bytes,
})

describe('ingester plan', () => {
  it('keeps only text, markdown and html files', () => {
    expect(['a.txt', 'b.MD', 'c.markdown', 'd.html', 'e.htm', 'f.pdf', 'g'].map(formatOf)).toEqual([
      'text',
      'markdown',
      'markdown',
      'html',
      'html',
      undefined,
      undefined,
    ])
  })

  it('turns relative paths into ids the gateway accepts', () => {
    expect(documentId('guides/intro.md')).toBe('guides:intro.md')
    expect(documentId('./notes/my file#1.txt')).toBe('notes:my-file-1.txt')
    expect(documentId('a\\b.html')).toBe('a:b.html')
  })

  it('sends each file in its format with its path as metadata', () => {
    expect(toDocument(file('docs/a.md'), '# A')).toEqual({
      id: 'docs:a.md',
      title: 'a.md',
      markdown: '# A',
      metadata: { source: 'docs/a.md' },
    })
  })

  it('batches by count and by bytes, a large file alone', () => {
    const files = [file('1', 10), file('2', 10), file('3', 10), file('4', 500), file('5', 10)]
    const sizes = (batches: ReturnType<typeof batchFiles>) =>
      batches.map((b) => b.map((f) => f.relativePath))
    expect(sizes(batchFiles(files, 2, 1000))).toEqual([['1', '2'], ['3', '4'], ['5']])
    expect(sizes(batchFiles(files, 10, 100))).toEqual([['1', '2', '3'], ['4'], ['5']])
  })

  it('backs off exponentially with jitter, and honours a longer Retry-After', () => {
    expect(backoffMs(0, undefined, () => 1)).toBe(250)
    expect(backoffMs(3, undefined, () => 1)).toBe(2000)
    expect(backoffMs(3, undefined, () => 0)).toBe(1000)
    expect(backoffMs(10, undefined, () => 1)).toBe(8000)
    expect(backoffMs(0, 5, () => 1)).toBe(5000)
  })
})

describe('ingester progress', () => {
  const counts = { ...emptyCounts(200), done: 50, created: 40, unchanged: 9, errors: 1, chunks: 80 }

  it('draws a bar with counts and rate for a terminal', () => {
    expect(progressBar(counts, 2000, 20)).toBe(
      '[#####---------------] 50/200 files | 40 created, 0 updated, 9 unchanged, 1 errors | 25.0 files/s'
    )
  })

  it('prints plain lines and a summary for logs', () => {
    expect(progressLine(counts)).toBe(
      'ingest: 50/200 files (25%): 40 created, 0 updated, 9 unchanged, 1 errors'
    )
    expect(summary(counts, 2000)).toBe(
      'Ingested 50/200 files in 2.0 s (25.0 files/s, 80 chunks): 40 created, 0 updated, 9 unchanged, 1 errors.'
    )
  })
})
