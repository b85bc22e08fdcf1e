/**
 * Tokenizer for Upstash Vector metadata filters. Paths (`a.b[0]`, `arr[#-1]`) are read as one
 * token so the parser never has to reassemble them; keywords are identifiers the parser
 * recognises by position, which lets a metadata field be called `in` or `field`.
 */
import { badRequest } from '../errors.ts'

export type PathSegment =
  | { kind: 'key'; name: string }
  | { kind: 'index'; fromEnd: boolean; offset: number }

export type Token =
  | { kind: 'word'; text: string; path: PathSegment[]; position: number }
  | { kind: 'string'; value: string; text: string; position: number }
  | { kind: 'number'; value: number; text: string; position: number }
  | { kind: 'operator'; text: '=' | '!=' | '<' | '<=' | '>' | '>='; position: number }
  | { kind: '(' | ')' | ','; text: string; position: number }
  | { kind: 'end'; text: string; position: number }

export function filterError(message: string, position: number): Error {
  return badRequest(`Invalid filter at position ${position}: ${message}`)
}

const NAME_START = /[A-Za-z_$]/
const NAME_PART = /[A-Za-z0-9_$]/
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y

export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < source.length) {
    const char = source.charAt(at)
    if (/\s/.test(char)) {
      at++
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: char, text: char, position: at })
      at++
    } else if (char === "'" || char === '"') {
      const token = readString(source, at)
      tokens.push(token)
      at += token.text.length
    } else if ('=!<>'.includes(char)) {
      const text = readOperator(source, at)
      tokens.push({ kind: 'operator', text, position: at })
      at += text.length
    } else if (/[-.\d]/.test(char)) {
      NUMBER.lastIndex = at
      const match = NUMBER.exec(source)
      if (!match) throw filterError(`unexpected character '${char}'`, at)
      tokens.push({ kind: 'number', value: Number(match[0]), text: match[0], position: at })
      at += match[0].length
    } else if (NAME_START.test(char)) {
      const token = readWord(source, at)
      tokens.push(token)
      at += token.text.length
    } else {
      throw filterError(`unexpected character '${char}'`, at)
    }
  }
  tokens.push({ kind: 'end', text: 'end of filter', position: source.length })
  return tokens
}

function readOperator(source: string, at: number): '=' | '!=' | '<' | '<=' | '>' | '>=' {
  const two = source.slice(at, at + 2)
  if (two === '!=' || two === '<=' || two === '>=') return two
  const one = source.charAt(at)
  if (one === '=' || one === '<' || one === '>') return one
  throw filterError(`unexpected character '${one}' (did you mean '!='?)`, at)
}

/** Quoted with ' or "; a backslash makes the next character literal. */
function readString(source: string, start: number): Token {
  const quote = source.charAt(start)
  let value = ''
  let at = start + 1
  while (at < source.length) {
    const char = source.charAt(at)
    if (char === quote) {
      return { kind: 'string', value, text: source.slice(start, at + 1), position: start }
    }
    if (char === '\\' && at + 1 < source.length) {
      value += source.charAt(at + 1)
      at += 2
    } else {
      value += char
      at++
    }
  }
  throw filterError(`unterminated string starting with ${quote}`, start)
}

function readWord(source: string, start: number): Token {
  const path: PathSegment[] = []
  let at = start
  const readName = () => {
    const from = at
    if (!NAME_START.test(source.charAt(at))) throw filterError('expected a field name', at)
    while (at < source.length && NAME_PART.test(source.charAt(at))) at++
    path.push({ kind: 'key', name: source.slice(from, at) })
  }
  readName()
  while (at < source.length) {
    const char = source.charAt(at)
    if (char === '.') {
      at++
      readName()
    } else if (char === '[') {
      const close = source.indexOf(']', at)
      if (close < 0) throw filterError("unclosed '[' in field path", at)
      path.push(parseArrayIndex(source.slice(at + 1, close), at))
      at = close + 1
    } else {
      break
    }
  }
  return { kind: 'word', text: source.slice(start, at), path, position: start }
}

/** `[3]` counts from the start, `[#-1]` from the end (`#` is the array length). */
function parseArrayIndex(inner: string, position: number): PathSegment {
  const fromStart = /^\s*(\d+)\s*$/.exec(inner)
  if (fromStart) return { kind: 'index', fromEnd: false, offset: Number(fromStart[1]) }
  const fromEnd = /^\s*#\s*(?:-\s*(\d+))?\s*$/.exec(inner)
  if (fromEnd) return { kind: 'index', fromEnd: true, offset: Number(fromEnd[1] ?? 0) }
  throw filterError(`invalid array index [${inner}]; use [n] or [#-n]`, position)
}
