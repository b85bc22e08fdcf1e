/**
 * @module
 * PII and secret detectors: a bounded pattern finds candidates, a validator (Luhn, mod 97, octet
 * ranges, numbering-plan rules) keeps the real ones. No well-kept PII library runs in workerd
 * (anchors-wave2 §3), and bare patterns flag order numbers, versions and dates. Every pattern has
 * bounded repetition or a literal anchor, so scanning stays linear in the text's length.
 */

export const PII_TYPES = ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'] as const
export type PiiType = (typeof PII_TYPES)[number]

export type Finding = {
  type: PiiType
  start: number
  end: number
  /** 0..1: how sure the detector is that this is the entity and not a look-alike. */
  confidence: number
}

type Detector = (text: string) => Finding[]

const EMAIL_LOCAL = /[A-Za-z0-9._%+-]/
const EMAIL_DOMAIN = /[A-Za-z0-9.-]/

/**
 * Expands around each `@` instead of matching `[...]+@`, which retries the whole run of word
 * characters at every start position: quadratic on a long text with no `@` in it.
 */
function emails(text: string): Finding[] {
  const found: Finding[] = []
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at
    while (start > 0 && at - start < 64 && EMAIL_LOCAL.test(text.charAt(start - 1))) start--
    let end = at + 1
    while (end < text.length && end - at < 254 && EMAIL_DOMAIN.test(text.charAt(end))) end++
    // A trailing dot ends the sentence, not the domain.
    while (end > at + 1 && text.charAt(end - 1) === '.') end--
    const local = text.slice(start, at)
    const domain = text.slice(at + 1, end)
    if (local === '' || local.startsWith('.') || local.endsWith('.')) continue
    if (!/^(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}$/.test(domain)) continue
    found.push({ type: 'email', start, end, confidence: 0.99 })
  }
  return found
}

const PHONE =
  /(?<![\w+.-])(?:\+(\d{1,3})[ .-]?)?(?:\((\d{3})\)|(\d{3}))[ .-]?(\d{3})[ .-]?(\d{4})(?![\w-]|\.\d)/g
const INTERNATIONAL = /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w-]|\.\d)/g

function phones(text: string): Finding[] {
  const found: Finding[] = []
  for (const match of text.matchAll(PHONE)) {
    const [whole, country, parenArea, area = parenArea ?? '', exchange = ''] = match
    if (country !== undefined && country !== '1') continue // left to the international pattern
    if (!/^[2-9]/.test(area) || !/^[2-9]/.test(exchange)) continue
    // 123-45-6789 is an SSN, 2024-01-15 a date: only 3-3-4 groupings reach here.
    const separated = /[ .\-()]/.test(whole)
    found.push(finding('phone', match, separated || country !== undefined ? 0.9 : 0.6))
  }
  for (const match of text.matchAll(INTERNATIONAL)) {
    const digits = match[0].replace(/\D/g, '')
    if (digits.length < 8 || digits.length > 15) continue
    if (found.some((f) => f.start < match.index + match[0].length && match.index < f.end)) continue
    found.push(finding('phone', match, 0.85))
  }
  return found
}

const CARD = /(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])/g

function cards(text: string): Finding[] {
  const found: Finding[] = []
  for (const match of text.matchAll(CARD)) {
    const digits = match[0].replace(/\D/g, '')
    if (digits.length < 13 || digits.length > 19 || !luhn(digits)) continue
    // Issuer prefixes (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay).
    const issuer = /^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6(?:011|5|4[4-9]|2))/.test(digits)
    found.push(finding('card', match, issuer ? 0.95 : 0.7))
  }
  return found
}

export function luhn(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      digit *= 2
      if (digit > 9) digit -= 9
    }
    sum += digit
  }
  return sum % 10 === 0
}

const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g

function ibans(text: string): Finding[] {
  const found: Finding[] = []
  for (const match of text.matchAll(IBAN)) {
    const compact = match[0].replace(/ /g, '')
    if (compact.length < 15 || compact.length > 34 || !mod97(compact)) continue
    found.push(finding('iban', match, 0.97))
  }
  return found
}

export function mod97(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let remainder = 0
  for (const char of rearranged) {
    const value = char >= 'A' ? String(char.charCodeAt(0) - 55) : char
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97
  }
  return remainder === 1
}

const SSN = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g

function ssns(text: string): Finding[] {
  const found: Finding[] = []
  for (const match of text.matchAll(SSN)) {
    const [, area = '', group = '', serial = ''] = match
    if (area === '000' || area === '666' || area >= '900') continue
    if (group === '00' || serial === '0000') continue
    found.push(finding('ssn', match, 0.85))
  }
  return found
}

const IPV4 = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g
const IPV6 = /(?<![\w:.])[0-9A-Fa-f:]{2,39}(?![\w:])/g
/** `v1.2.3.4`, `version 10.0.0.1`: version strings shaped like addresses. */
const VERSION_BEFORE = /(?:\bv|\bversion\s*|\bver\.?\s*|\brelease\s*)$/i

function ips(text: string): Finding[] {
  const found: Finding[] = []
  for (const match of text.matchAll(IPV4)) {
    const octets = match.slice(1, 5)
    if (!octets.every((octet) => Number(octet) <= 255 && !/^0\d/.test(octet))) continue
    if (VERSION_BEFORE.test(text.slice(Math.max(0, match.index - 10), match.index))) continue
    found.push(finding('ip', match, 0.9))
  }
  for (const match of text.matchAll(IPV6)) {
    if (isIPv6(match[0])) found.push(finding('ip', match, 0.9))
  }
  return found
}

export function isIPv6(candidate: string): boolean {
  const halves = candidate.split('::')
  if (halves.length > 2) return false
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')))
  const count = groups.reduce((sum, half) => sum + half.length, 0)
  if (!groups.every((half) => half.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group)))) {
    return false
  }
  // Times (12:30:45) and MAC addresses have too few groups without `::`; `::` alone says nothing.
  return halves.length === 2 ? count >= 2 && count <= 7 : count === 8
}

const SECRETS: { pattern: RegExp; confidence: number }[] = [
  // OpenAI-style keys (sk-, sk-proj-), this gateway's own (sk-gw-), Anthropic's (sk-ant-).
  { pattern: /(?<![\w-])sk-[A-Za-z0-9_-]{20,200}(?![\w-])/g, confidence: 0.95 },
  { pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, confidence: 0.95 },
  { pattern: /(?<![\w-])gh[pousr]_[A-Za-z0-9]{36,255}(?![\w-])/g, confidence: 0.95 },
  {
    pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,1024}/g,
    confidence: 0.9,
  },
  {
    pattern:
      /-----BEGIN (?:[A-Z]{2,10} ){0,2}PRIVATE KEY-----[\s\S]{1,16384}?-----END (?:[A-Z]{2,10} ){0,2}PRIVATE KEY-----/g,
    confidence: 0.99,
  },
]

function secrets(text: string): Finding[] {
  const found: Finding[] = []
  for (const { pattern, confidence } of SECRETS) {
    for (const match of text.matchAll(pattern)) found.push(finding('secret', match, confidence))
  }
  return found
}

function finding(type: PiiType, match: RegExpMatchArray, confidence: number): Finding {
  const start = match.index ?? 0
  return { type, start, end: start + match[0].length, confidence }
}

const DETECTORS: Record<PiiType, Detector> = {
  email: emails,
  phone: phones,
  card: cards,
  iban: ibans,
  ssn: ssns,
  ip: ips,
  secret: secrets,
}

/**
 * Findings of the given types, at or above `minConfidence`, sorted by start, overlaps resolved
 * in favour of the longer (then more confident) finding: a card number is not also a phone.
 */
export function detectPii(
  text: string,
  types: readonly PiiType[] = PII_TYPES,
  minConfidence = 0.5
): Finding[] {
  const all = types
    .flatMap((type) => DETECTORS[type](text))
    .filter((f) => f.confidence >= minConfidence)
    .sort((a, b) => b.end - b.start - (a.end - a.start) || b.confidence - a.confidence)
  const kept: Finding[] = []
  for (const candidate of all) {
    if (!kept.some((f) => f.start < candidate.end && candidate.start < f.end)) kept.push(candidate)
  }
  return kept.sort((a, b) => a.start - b.start)
}
