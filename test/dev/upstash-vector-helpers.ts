import { Index } from '@upstash/vector'
import { inject } from 'vitest'

/** A client for one of the stand-in's test indexes (see dev/upstash-vector/test-indexes.ts). */
export function testIndex(name: string, token: 'write' | 'readonly' = 'write'): Index {
  const entry = inject('vectorTestIndexes')[name]
  if (!entry) throw new Error(`the test stack serves no vector index named ${name}`)
  return new Index({
    url: entry.url,
    token: token === 'write' ? entry.token : entry.readonlyToken,
    retry: false,
  })
}

export function testIndexUrl(name: string) {
  const entry = inject('vectorTestIndexes')[name]
  if (!entry) throw new Error(`the test stack serves no vector index named ${name}`)
  return entry
}

/** A namespace name no other test uses, so test files can share the indexes. */
export function freshNamespace(label: string): string {
  return `${label}-${crypto.randomUUID()}`
}
