/**
 * Progress output: a bar redrawn in place on a terminal, one plain line per finished batch
 * otherwise (CI logs, pipes), and the same counts in the final summary.
 */

export type Counts = {
  files: number
  done: number
  created: number
  updated: number
  unchanged: number
  errors: number
  chunks: number
}

export function emptyCounts(files: number): Counts {
  return { files, done: 0, created: 0, updated: 0, unchanged: 0, errors: 0, chunks: 0 }
}

function tally(counts: Counts): string {
  return `${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.errors} errors`
}

export function progressBar(counts: Counts, elapsedMs: number, width = 30): string {
  const ratio = counts.files === 0 ? 1 : counts.done / counts.files
  const filled = Math.round(ratio * width)
  const rate = elapsedMs > 0 ? (counts.done / elapsedMs) * 1000 : 0
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`
  return `[${bar}] ${counts.done}/${counts.files} files | ${tally(counts)} | ${rate.toFixed(1)} files/s`
}

export function progressLine(counts: Counts): string {
  const percent = counts.files === 0 ? 100 : Math.floor((counts.done / counts.files) * 100)
  return `ingest: ${counts.done}/${counts.files} files (${percent}%): ${tally(counts)}`
}

export function summary(counts: Counts, elapsedMs: number): string {
  const seconds = elapsedMs / 1000
  const rate = seconds > 0 ? counts.done / seconds : 0
  return `Ingested ${counts.done}/${counts.files} files in ${seconds.toFixed(1)} s (${rate.toFixed(1)} files/s, ${counts.chunks} chunks): ${tally(counts)}.`
}
