/**
 * @module
 * A hook's prompt template: literal text with `{{ dotted.path }}` placeholders over the delivery's
 * JSON payload (`{{issue.title}}`, `{{items.0.name}}`). Nothing is evaluated: a placeholder is a
 * path and nothing else, looked up through own properties only, so no template reaches a
 * prototype (`__proto__`, `constructor` and `prototype` are refused outright). A missing path
 * renders empty; every inserted value, and the whole prompt, is capped, so a large payload cannot
 * make a large (costly) prompt.
 */
import { isRecord } from '../lib/json'

export type TemplatePart = string | { path: readonly string[] }

export type TemplateLimits = {
  /** Characters of one inserted value. */
  valueChars: number
  /** Characters of the rendered prompt. */
  promptChars: number
}

export const TEMPLATE_LIMITS: TemplateLimits = { valueChars: 8_000, promptChars: 32_000 }
export const MAX_TEMPLATE_CHARS = 16_000
const MAX_PLACEHOLDERS = 100
const MAX_PATH_SEGMENTS = 32
const SEGMENT = /^[A-Za-z0-9_$@:-]+$/
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype'])
const TRUNCATED = '…'

/** The template's parts, or the first problem with it, phrased for the tenant who wrote it. */
export function parseTemplate(template: string): { parts: TemplatePart[] } | { problem: string } {
  if (template.length > MAX_TEMPLATE_CHARS) {
    return { problem: `longer than ${MAX_TEMPLATE_CHARS} characters` }
  }
  const parts: TemplatePart[] = []
  let at = 0
  let placeholders = 0
  while (at < template.length) {
    const open = template.indexOf('{{', at)
    if (open < 0) break
    const close = template.indexOf('}}', open + 2)
    if (close < 0) return { problem: `the {{ at character ${open} is never closed` }
    const inner = template.slice(open + 2, close).trim()
    const path = inner.split('.')
    if (inner === '') return { problem: `the placeholder at character ${open} is empty` }
    const bad = path.find((segment) => !SEGMENT.test(segment))
    if (bad !== undefined) {
      return {
        problem: `{{${inner}}} is not a dotted path (letters, digits, _ - $ @ : between dots)`,
      }
    }
    const forbidden = path.find((segment) => FORBIDDEN_SEGMENTS.has(segment))
    if (forbidden !== undefined) return { problem: `{{${inner}}} names ${forbidden}` }
    if (path.length > MAX_PATH_SEGMENTS) {
      return { problem: `{{${inner}}} has more than ${MAX_PATH_SEGMENTS} segments` }
    }
    if (++placeholders > MAX_PLACEHOLDERS) {
      return { problem: `more than ${MAX_PLACEHOLDERS} placeholders` }
    }
    if (open > at) parts.push(template.slice(at, open))
    parts.push({ path })
    at = close + 2
  }
  if (at < template.length) parts.push(template.slice(at))
  return { parts }
}

export function renderTemplate(
  parts: readonly TemplatePart[],
  payload: unknown,
  limits: TemplateLimits = TEMPLATE_LIMITS
): string {
  let prompt = ''
  for (const part of parts) {
    prompt +=
      typeof part === 'string'
        ? part
        : cap(valueText(lookup(payload, part.path)), limits.valueChars)
    if (prompt.length > limits.promptChars) return cap(prompt, limits.promptChars)
  }
  return prompt
}

function lookup(payload: unknown, path: readonly string[]): unknown {
  let value = payload
  for (const segment of path) {
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(segment)) return undefined
      value = value[Number(segment)]
    } else if (isRecord(value) && Object.hasOwn(value, segment)) {
      value = value[segment]
    } else {
      return undefined
    }
  }
  return value
}

function valueText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Cut to `limit` characters, the last one marking the cut, never splitting a surrogate pair. */
function cap(text: string, limit: number): string {
  if (text.length <= limit) return text
  let end = limit - TRUNCATED.length
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return text.slice(0, end) + TRUNCATED
}
