/**
 * Recursive-descent parser for the filter grammar (AND binds tighter than OR, parentheses group):
 *
 *   or_expr   := and_expr (OR and_expr)*
 *   and_expr  := primary (AND primary)*
 *   primary   := '(' or_expr ')' | predicate
 *   predicate := path cmp literal | path [NOT] GLOB string | path [NOT] IN '(' literal, ... ')'
 *              | path [NOT] CONTAINS literal | HAS [NOT] FIELD path
 */
import { compileGlob } from './glob.ts'
import { filterError, type PathSegment, type Token, tokenize } from './lexer.ts'

export type Literal = string | number | boolean
export type Comparison = '=' | '!=' | '<' | '<=' | '>' | '>='

export type Filter =
  | { kind: 'and' | 'or'; parts: Filter[] }
  | { kind: 'compare'; path: PathSegment[]; op: Comparison; value: Literal }
  | { kind: 'glob'; path: PathSegment[]; negated: boolean; pattern: RegExp }
  | { kind: 'in'; path: PathSegment[]; negated: boolean; values: Literal[] }
  | { kind: 'contains'; path: PathSegment[]; negated: boolean; value: Literal }
  | { kind: 'has'; path: PathSegment[]; negated: boolean }

/** Parses a filter string; `undefined` for an empty filter, which matches everything. */
export function parseFilter(source: string): Filter | undefined {
  if (source.trim() === '') return undefined
  const parser = new Parser(tokenize(source))
  const filter = parser.orExpression()
  parser.expectEnd()
  return filter
}

class Parser {
  private readonly tokens: Token[]
  private at = 0

  constructor(tokens: Token[]) {
    this.tokens = tokens
  }

  orExpression(): Filter {
    const parts = [this.andExpression()]
    while (this.acceptKeyword('OR')) parts.push(this.andExpression())
    return parts.length === 1 && parts[0] ? parts[0] : { kind: 'or', parts }
  }

  expectEnd(): void {
    const token = this.peek()
    if (token.kind !== 'end') throw unexpected(token, 'AND, OR or the end of the filter')
  }

  private andExpression(): Filter {
    const parts = [this.primary()]
    while (this.acceptKeyword('AND')) parts.push(this.primary())
    return parts.length === 1 && parts[0] ? parts[0] : { kind: 'and', parts }
  }

  private primary(): Filter {
    const token = this.next()
    if (token.kind === '(') {
      const inner = this.orExpression()
      this.expect(')', "')' to close the group")
      return inner
    }
    if (token.kind !== 'word') throw unexpected(token, "a field name, HAS or '('")
    if (isKeyword(token, 'HAS') && this.startsHasField()) return this.hasField()
    return this.predicate(token.path)
  }

  /** `HAS` is a keyword only when FIELD or NOT FIELD follows; otherwise it is a field name. */
  private startsHasField(): boolean {
    const following = this.peek()
    if (isKeyword(following, 'FIELD')) return true
    return isKeyword(following, 'NOT') && isKeyword(this.peek(1), 'FIELD')
  }

  private hasField(): Filter {
    const negated = this.acceptKeyword('NOT')
    this.next()
    const field = this.next()
    if (field.kind !== 'word') throw unexpected(field, 'a field name after HAS FIELD')
    return { kind: 'has', path: field.path, negated }
  }

  private predicate(path: PathSegment[]): Filter {
    const token = this.next()
    if (token.kind === 'operator')
      return { kind: 'compare', path, op: token.text, value: this.literal() }
    const negated = isKeyword(token, 'NOT')
    const operator = negated ? this.next() : token
    if (isKeyword(operator, 'GLOB')) {
      const pattern = this.next()
      if (pattern.kind !== 'string') throw unexpected(pattern, 'a quoted pattern after GLOB')
      return { kind: 'glob', path, negated, pattern: compileGlob(pattern.value, pattern.position) }
    }
    if (isKeyword(operator, 'IN')) return { kind: 'in', path, negated, values: this.literalList() }
    if (isKeyword(operator, 'CONTAINS')) {
      return { kind: 'contains', path, negated, value: this.literal() }
    }
    const expected = negated
      ? 'GLOB, IN or CONTAINS after NOT'
      : 'an operator (=, !=, <, <=, >, >=, GLOB, IN, CONTAINS)'
    throw unexpected(operator, expected)
  }

  private literalList(): Literal[] {
    this.expect('(', "'(' to open the IN list")
    const values = [this.literal()]
    while (this.peek().kind === ',') {
      this.next()
      values.push(this.literal())
    }
    this.expect(')', "',' or ')' in the IN list")
    return values
  }

  private literal(): Literal {
    const token = this.next()
    if (token.kind === 'string' || token.kind === 'number') return token.value
    if (isKeyword(token, 'TRUE')) return true
    if (isKeyword(token, 'FALSE')) return false
    throw unexpected(token, 'a string, number or boolean')
  }

  private acceptKeyword(keyword: string): boolean {
    if (!isKeyword(this.peek(), keyword)) return false
    this.at++
    return true
  }

  private expect(kind: '(' | ')', description: string): void {
    const token = this.next()
    if (token.kind !== kind) throw unexpected(token, description)
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

const END: Token = { kind: 'end', text: 'end of filter', position: 0 }

function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'word' && token.path.length === 1 && token.text.toUpperCase() === keyword
}

function unexpected(token: Token, expected: string): Error {
  const found = token.kind === 'end' ? 'the end of the filter' : `'${token.text}'`
  return filterError(`expected ${expected}, found ${found}`, token.position)
}
