/**
 * Evaluates a parsed filter against one record's metadata.
 *
 * Missing or wrong-typed values (Upstash leaves this unspecified): a predicate is false when the
 * path does not exist or holds a kind of value its operator does not apply to; otherwise each NOT
 * form (`!=`, NOT IN, NOT GLOB, NOT CONTAINS) is the negation of its positive form. Only
 * `HAS NOT FIELD` matches a missing path. Booleans also compare equal to the literals 1 and 0.
 */
import type { PathSegment } from './lexer.ts'
import type { Comparison, Filter, Literal } from './parser.ts'

type Metadata = Record<string, unknown> | undefined

export function matches(filter: Filter, metadata: Metadata): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.parts.every((part) => matches(part, metadata))
    case 'or':
      return filter.parts.some((part) => matches(part, metadata))
    case 'has':
      return resolve(metadata, filter.path).found !== filter.negated
    default:
      return matchesPredicate(filter, resolve(metadata, filter.path))
  }
}

type Resolved = { found: true; value: unknown } | { found: false }

function matchesPredicate(filter: Exclude<Filter, { kind: 'and' | 'or' | 'has' }>, at: Resolved) {
  if (!at.found) return false
  const { value } = at
  switch (filter.kind) {
    case 'compare':
      return compare(value, filter.op, filter.value)
    case 'in':
      if (!isScalar(value)) return false
      return filter.values.some((literal) => equals(value, literal)) !== filter.negated
    case 'glob':
      if (typeof value !== 'string') return false
      return filter.pattern.test(value) !== filter.negated
    case 'contains':
      if (!Array.isArray(value)) return false
      return value.some((item) => isScalar(item) && equals(item, filter.value)) !== filter.negated
  }
}

function compare(value: unknown, op: Comparison, literal: Literal): boolean {
  if (op === '=' || op === '!=') {
    if (!isScalar(value)) return false
    return equals(value, literal) === (op === '=')
  }
  if (typeof value !== 'number' || typeof literal !== 'number') return false
  if (op === '<') return value < literal
  if (op === '<=') return value <= literal
  if (op === '>') return value > literal
  return value >= literal
}

function equals(value: Literal, literal: Literal): boolean {
  if (typeof value === 'boolean' && typeof literal === 'number') {
    return (literal === 1 && value) || (literal === 0 && !value)
  }
  return value === literal
}

function isScalar(value: unknown): value is Literal {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

function resolve(metadata: Metadata, path: PathSegment[]): Resolved {
  let current: unknown = metadata
  for (const segment of path) {
    if (segment.kind === 'key') {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) {
        return { found: false }
      }
      if (!Object.hasOwn(current, segment.name)) return { found: false }
      current = (current as Record<string, unknown>)[segment.name]
    } else {
      if (!Array.isArray(current)) return { found: false }
      const index = segment.fromEnd ? current.length - segment.offset : segment.offset
      if (index < 0 || index >= current.length) return { found: false }
      current = current[index]
    }
  }
  return { found: true, value: current }
}
