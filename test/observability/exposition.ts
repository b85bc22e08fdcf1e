/** A reader for the Prometheus text format, enough for the tests to check what /metrics says. */

export type Sample = { name: string; labels: Record<string, string>; value: number }

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`Not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    for (const label of (match[2] ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
    )) {
      labels[label[1] ?? ''] = (label[2] ?? '').replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c
      )
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of a series over every label set that has the given labels. */
export function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const total = samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((n, s) => n + s.value, 0)
  // Sums of float observations: compare at a precision the counts and token sums cannot miss.
  return Math.round(total * 1e6) / 1e6
}
