/**
 * UNIX glob to an anchored RegExp: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[^...]` or
 * `[!...]`; case-sensitive, and `*` crosses '/' (these are metadata values, not file paths).
 */
import { filterError } from './lexer.ts'

export function compileGlob(pattern: string, position: number): RegExp {
  let source = ''
  let at = 0
  while (at < pattern.length) {
    const char = pattern.charAt(at)
    if (char === '*') {
      source += '[\\s\\S]*'
      at++
    } else if (char === '?') {
      source += '[\\s\\S]'
      at++
    } else if (char === '[') {
      const { regex, end } = characterClass(pattern, at, position)
      source += regex
      at = end
    } else {
      source += escapeRegex(char)
      at++
    }
  }
  try {
    return new RegExp(`^${source}$`, 'u')
  } catch {
    throw filterError(`invalid character range in GLOB pattern '${pattern}'`, position)
  }
}

function characterClass(pattern: string, open: number, position: number) {
  let at = open + 1
  let regex = '['
  if (pattern.charAt(at) === '^' || pattern.charAt(at) === '!') {
    regex += '^'
    at++
  }
  // A ']' right after the opening bracket is a literal member, as in POSIX globs.
  let first = true
  while (at < pattern.length && (pattern.charAt(at) !== ']' || first)) {
    const char = pattern.charAt(at)
    regex += char === '-' && !first && pattern.charAt(at + 1) !== ']' ? '-' : escapeRegex(char)
    first = false
    at++
  }
  if (at >= pattern.length) throw filterError(`unclosed '[' in GLOB pattern '${pattern}'`, position)
  return { regex: `${regex}]`, end: at + 1 }
}

function escapeRegex(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char
}
