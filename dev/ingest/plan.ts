/**
 * The ingester's pure parts: which files count, the document each becomes, and how documents are
 * grouped into requests. No Node APIs here, so tests run it inside workerd too.
 */

export const EXTENSIONS: Record<string, 'text' | 'markdown' | 'html'> = {
  '.txt': 'text',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
}

export type SourceFile = { path: string; relativePath: string; bytes: number }

export type IngestDocument = {
  id: string
  title: string
  text?: string
  markdown?: string
  html?: string
  metadata: { source: string }
}

export function formatOf(path: string): 'text' | 'markdown' | 'html' | undefined {
  const dot = path.lastIndexOf('.')
  return dot === -1 ? undefined : EXTENSIONS[path.slice(dot).toLowerCase()]
}

/** The gateway's document id rules: no '/' or '#', so folders become ':' and the rest '-'. */
export function documentId(relativePath: string): string {
  return relativePath
    .replaceAll('\\', '/')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replaceAll('/', ':')
    .replace(/[^\w.:@=+-]/g, '-')
    .slice(0, 200)
}

export function toDocument(file: SourceFile, content: string): IngestDocument {
  const format = formatOf(file.path) ?? 'text'
  const name = file.relativePath.split(/[\\/]/).at(-1) ?? file.relativePath
  return {
    id: documentId(file.relativePath),
    title: name,
    [format]: content,
    metadata: { source: file.relativePath.replaceAll('\\', '/') },
  }
}

/** Requests of at most `maxDocuments` files and about `maxBytes` (a larger file goes alone). */
export function batchFiles(
  files: SourceFile[],
  maxDocuments: number,
  maxBytes: number
): SourceFile[][] {
  const batches: SourceFile[][] = []
  let current: SourceFile[] = []
  let bytes = 0
  for (const file of files) {
    if (current.length > 0 && (current.length >= maxDocuments || bytes + file.bytes > maxBytes)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(file)
    bytes += file.bytes
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/** Exponential backoff with jitter; a server's Retry-After wins when it is longer. */
export function backoffMs(
  attempt: number,
  retryAfterSeconds?: number,
  random = Math.random
): number {
  const exponential = Math.min(8000, 250 * 2 ** attempt) * (0.5 + random() / 2)
  return Math.max(exponential, (retryAfterSeconds ?? 0) * 1000)
}
