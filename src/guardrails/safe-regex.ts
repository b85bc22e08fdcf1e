/**
 * @module
 * Refuses, at configuration time, tenant regular expressions that can backtrack catastrophically.
 * JavaScript regexes cannot be interrupted, so one `(a+)+$` on a long prompt would stall the
 * isolate for every tenant it serves. The analysis is conservative (it refuses some safe
 * patterns) and syntactic: it walks the pattern once, tracking groups, and refuses
 *   - a quantified group whose body can repeat itself (a nested quantifier: `(a+)+`, `(a*b?)*`),
 *   - a quantified group holding an alternation (`(a|ab)*`: overlapping branches explode),
 *   - two unbounded quantifiers in a row over overlapping sets (`\w*\w*`, `.*.*`, `\s+\s*`),
 *   - backreferences and lookbehind (super-linear by construction in V8's engine).
 */

export const MAX_PATTERN_LENGTH = 512

type Group = { quantifiedInside: boolean; alternation: boolean }

/** Why a pattern is refused, or undefined when it is accepted. */
export function unsafePatternReason(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`
  try {
    new RegExp(pattern, 'gi')
  } catch {
    return 'not a valid regular expression'
  }
  const stack: Group[] = [{ quantifiedInside: false, alternation: false }]
  // The unbounded runs nothing required has separated from what comes next, for spotting two
  // unbounded quantifiers over the same kind of characters with nothing certain between them.
  let live: string[] = []
  let atom = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    const top = stack[stack.length - 1]
    if (!top) return 'unbalanced parentheses'
    if (char === '\\') {
      const next = pattern[i + 1] ?? ''
      if (/[1-9]/.test(next) || next === 'k') return 'uses a backreference'
      atom = `\\${next}`
      i++
    } else if (char === '[') {
      const end = classEnd(pattern, i)
      atom = pattern.slice(i, end + 1)
      i = end
    } else if (char === '(') {
      if (pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
        return 'uses a lookbehind'
      }
      stack.push({ quantifiedInside: false, alternation: false })
      i += groupPrefixLength(pattern, i + 1)
      live = []
      continue
    } else if (char === ')') {
      const group = stack.pop()
      const parent = stack[stack.length - 1]
      if (!group || !parent) return 'unbalanced parentheses'
      const quantifier = quantifierAt(pattern, i + 1)
      if (quantifier) {
        if (group.quantifiedInside) return 'nests a quantifier inside a quantified group'
        if (group.alternation && quantifier.unbounded) {
          return 'repeats an alternation without bound'
        }
        parent.quantifiedInside = true
        i += quantifier.length
      }
      if (group.quantifiedInside) parent.quantifiedInside = true
      live = []
      continue
    } else if (char === '|') {
      top.alternation = true
      live = []
      continue
    } else {
      atom = char ?? ''
    }
    const quantifier = quantifierAt(pattern, i + 1)
    if (quantifier) {
      top.quantifiedInside = true
      if (quantifier.unbounded) {
        if (live.some((run) => overlaps(run, atom))) {
          return 'repeats overlapping characters with two unbounded quantifiers in a row'
        }
        // `a+x*a+`: a run that may match nothing leaves the one before it live too.
        live = quantifier.optional ? [...live, atom] : [atom]
      } else if (separates(live, atom, quantifier.optional)) {
        live = []
      }
      i += quantifier.length
    } else if (separates(live, atom, false)) {
      live = []
    }
  }
  return stack.length === 1 ? undefined : 'unbalanced parentheses'
}

/** `?:`, `?=`, `?!` or `?<name>` after an opening parenthesis. */
function groupPrefixLength(pattern: string, at: number): number {
  if (pattern[at] !== '?') return 0
  if (pattern[at + 1] === '<') {
    const close = pattern.indexOf('>', at)
    return close === -1 ? 1 : close - at + 1
  }
  return 2
}

/** The index of the `]` closing the class opened at `start`. */
function classEnd(pattern: string, start: number): number {
  for (let i = start + 1; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++
    else if (pattern[i] === ']' && i > start + 1) return i
  }
  return pattern.length - 1
}

function quantifierAt(
  pattern: string,
  at: number
): { length: number; unbounded: boolean; optional: boolean } | undefined {
  const char = pattern[at]
  const lazy = (length: number) => (pattern[at + length] === '?' ? length + 1 : length)
  if (char === '*' || char === '+') {
    return { length: lazy(1), unbounded: true, optional: char === '*' }
  }
  if (char === '?') return { length: lazy(1), unbounded: false, optional: true }
  if (char === '{') {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at))
    if (!match) return undefined
    const max = match[2] === undefined ? Number(match[1]) : match[3] ? Number(match[3]) : Infinity
    // A large bound backtracks like no bound at all.
    return { length: lazy(match[0].length), unbounded: max > 16, optional: match[1] === '0' }
  }
  return undefined
}

/**
 * Whether `atom` ends the live runs before it: it must match something (`\d+\s?\d+` is two
 * adjacent runs) and nothing those runs match (`\d+\d{2}\d+` is too).
 */
function separates(live: string[], atom: string, optional: boolean): boolean {
  return !optional && !live.some((run) => overlaps(run, atom))
}

/** Whether two atoms can match the same character; unknown combinations count as overlapping. */
function overlaps(a: string, b: string): boolean {
  if (a === b || a === '.' || b === '.') return true
  const literal = (atom: string) => atom.length === 1 && atom !== '.'
  if (literal(a) && literal(b)) return a.toLowerCase() === b.toLowerCase()
  const classes: Record<string, RegExp> = { '\\d': /\d/, '\\w': /\w/, '\\s': /\s/ }
  // A bracket class is tested as itself (configuration time only, never per request).
  const classOf = (atom: string) =>
    classes[atom] ?? (atom.startsWith('[') ? new RegExp(atom, 'i') : undefined)
  const ca = classOf(a)
  const cb = classOf(b)
  if (ca && literal(b)) return ca.test(b)
  if (cb && literal(a)) return cb.test(a)
  if ((a === '\\d' && b === '\\s') || (a === '\\s' && b === '\\d')) return false
  if ((a === '\\w' && b === '\\s') || (a === '\\s' && b === '\\w')) return false
  return true
}
