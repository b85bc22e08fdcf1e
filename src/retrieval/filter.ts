/**
 * @module
 * Checks a metadata filter against the Upstash Vector filter grammar before it is sent, so a
 * typo is a 400 that points at the position instead of an index error:
 *
 *   or_expr   := and_expr (OR and_expr)*        and_expr := primary (AND primary)*
 *   primary   := '(' or_expr ')' | HAS [NOT] FIELD path | path predicate
 *   predicate := cmp literal | [NOT] GLOB string | [NOT] IN '(' literal, ... ')'
 *              | [NOT] CONTAINS literal
 *
 * Validation only: the index evaluates the filter.
 */
import { GatewayError } from '../errors'

type Token = {
  kind: 'path' | 'string' | 'number' | 'op' | 'punct' | 'end'
  text: string
  at: number
}

const TOKEN =
  /\s*(?:(?<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?<number>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|(?<op>!=|<=|>=|=|<|>)|(?<punct>[(),])|(?<path>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\s*(?:\d+|#(?:\s*-\s*\d+)?)\s*\])*))/y

export function validateFilter(filter: string, param: string): void {
  const fail = (message: string, at: number): never => {
    throw new GatewayError(400, `Invalid filter at position ${at}: ${message}.`, {
      param,
      code: 'invalid_filter',
    })
  }
  const tokens = tokenize(filter, fail)
  if (tokens.length > 1) new FilterChecker(tokens, fail).check()
}

class FilterChecker {
  private at = 0
  private readonly tokens: Token[]
  private readonly fail: (message: string, at: number) => never

  constructor(tokens: Token[], fail: (message: string, at: number) => never) {
    this.tokens = tokens
    this.fail = fail
  }

  check(): void {
    this.orExpression()
    const last = this.peek()
    if (last.kind !== 'end') this.unexpected(last, 'AND, OR or the end of the filter')
  }

  private orExpression(): void {
    this.andExpression()
    while (this.accept('OR')) this.andExpression()
  }

  private andExpression(): void {
    this.primary()
    while (this.accept('AND')) this.primary()
  }

  private primary(): void {
    const token = this.next()
    if (isPunct(token, '(')) {
      this.orExpression()
      this.expect(')', "')' to close the group")
    } else if (token.kind !== 'path') {
      this.unexpected(token, "a field name, HAS or '('")
    } else if (isWord(token, 'HAS') && this.startsHasField()) {
      this.accept('NOT')
      this.next()
      const field = this.next()
      if (field.kind !== 'path') this.unexpected(field, 'a field name after HAS FIELD')
    } else {
      this.predicate()
    }
  }

  /** HAS is a keyword only when FIELD or NOT FIELD follows: a field may be called `has`. */
  private startsHasField(): boolean {
    const following = this.peek()
    return isWord(following, 'FIELD') || (isWord(following, 'NOT') && isWord(this.peek(1), 'FIELD'))
  }

  private predicate(): void {
    const token = this.next()
    const operator = isWord(token, 'NOT') ? this.next() : token
    if (token.kind === 'op') {
      this.literal()
    } else if (isWord(operator, 'GLOB')) {
      const pattern = this.next()
      if (pattern.kind !== 'string') this.unexpected(pattern, 'a quoted pattern after GLOB')
    } else if (isWord(operator, 'IN')) {
      this.expect('(', "'(' to open the IN list")
      this.literal()
      while (isPunct(this.peek(), ',')) {
        this.next()
        this.literal()
      }
      this.expect(')', "',' or ')' in the IN list")
    } else if (isWord(operator, 'CONTAINS')) {
      this.literal()
    } else {
      this.unexpected(operator, 'an operator (=, !=, <, <=, >, >=, GLOB, IN, CONTAINS)')
    }
  }

  private literal(): void {
    const token = this.next()
    if (token.kind === 'string' || token.kind === 'number') return
    if (isWord(token, 'TRUE') || isWord(token, 'FALSE')) return
    this.unexpected(token, 'a string, number or boolean')
  }

  private accept(keyword: string): boolean {
    if (!isWord(this.peek(), keyword)) return false
    this.next()
    return true
  }

  private expect(punct: string, expected: string): void {
    const token = this.next()
    if (!isPunct(token, punct)) this.unexpected(token, expected)
  }

  private unexpected(token: Token, expected: string): never {
    const found = token.kind === 'end' ? 'the end of the filter' : `'${token.text}'`
    return this.fail(`expected ${expected}, found ${found}`, token.at)
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.at + ahead, this.tokens.length - 1)] ?? END
  }

  private next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.at++
    return token
  }
}

const END: Token = { kind: 'end', text: '', at: 0 }

function isWord(token: Token, word: string): boolean {
  return token.kind === 'path' && token.text.toUpperCase() === word
}

function isPunct(token: Token, text: string): boolean {
  return token.kind === 'punct' && token.text === text
}

function tokenize(source: string, fail: (message: string, at: number) => never): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (source.slice(at).trim() !== '') {
    TOKEN.lastIndex = at
    const match = TOKEN.exec(source)
    const groups = match?.groups
    if (!match || !groups) {
      const start = at + (source.slice(at).length - source.slice(at).trimStart().length)
      const char = source.charAt(start)
      fail(
        char === "'" || char === '"'
          ? `unterminated string starting with ${char}`
          : `unexpected character '${char}'`,
        start
      )
    }
    const kind = (['string', 'number', 'op', 'punct', 'path'] as const).find((k) => groups[k])
    const text = kind ? (groups[kind] ?? '') : ''
    tokens.push({ kind: kind ?? 'end', text, at: at + match[0].length - text.length })
    at += match[0].length
  }
  tokens.push({ kind: 'end', text: '', at: source.length })
  return tokens
}
