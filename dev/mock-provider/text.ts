/**
 * Deterministic text for the mock provider: a documented tokeniser (so usage figures are
 * predictable), a seeded generator (same prompt, same words) and truncation by length and stop
 * sequences shared by the OpenAI and Anthropic dialects.
 */

/**
 * One token is: optional leading whitespace followed by up to four letters/digits, or by one
 * other character; trailing whitespace is its own token. Joining the pieces gives back the
 * text, so a stream of pieces reassembles exactly.
 */
const TOKEN = /\s*(?:[\p{L}\p{N}]{1,4}|[^\s\p{L}\p{N}])|\s+/gu

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? []
}

export function countTokens(text: string): number {
  return tokenize(text).length
}

/** FNV-1a over UTF-16 code units: cheap, stable across runs, good enough to seed a PRNG. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** mulberry32: a tiny seeded generator returning 32-bit unsigned integers. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** Words of at most four letters, so each generated word is exactly one token. */
export const VOCABULARY = [
  'the',
  'edge',
  'fast',
  'data',
  'node',
  'key',
  'time',
  'cash',
  'road',
  'blue',
  'sky',
  'rain',
  'tree',
  'leaf',
  'wind',
  'sun',
  'moon',
  'star',
  'sea',
  'wave',
  'sand',
  'rock',
  'hill',
  'lake',
  'fish',
  'bird',
  'wolf',
  'bear',
  'deer',
  'fox',
  'owl',
  'cat',
  'dog',
  'ant',
  'bee',
  'cow',
  'red',
  'gold',
  'gray',
  'pink',
  'warm',
  'cold',
  'soft',
  'hard',
  'new',
  'old',
  'big',
  'tiny',
  'runs',
  'sees',
  'made',
  'goes',
  'took',
  'gave',
  'kept',
  'held',
  'and',
  'but',
  'with',
  'from',
  'over',
  'into',
  'near',
  'far',
]

export function pickWord(random: () => number): string {
  return VOCABULARY[random() % VOCABULARY.length] ?? 'the'
}

const SENTENCE_LENGTH = 9

/** `count` one-token pieces of word-salad prose: sentences of eight words and a full stop. */
export function generatePieces(seed: number, count: number): string[] {
  const random = seededRandom(seed)
  const pieces: string[] = []
  for (let i = 0; i < count; i++) {
    if (i % SENTENCE_LENGTH === SENTENCE_LENGTH - 1) {
      pieces.push('.')
      continue
    }
    const word = pickWord(random)
    const startsSentence = i % SENTENCE_LENGTH === 0
    const text = startsSentence ? word.charAt(0).toUpperCase() + word.slice(1) : word
    pieces.push(i === 0 ? text : ` ${text}`)
  }
  return pieces
}

/** Output length when the request sets none: 12 to 40 tokens, fixed by the prompt. */
export function defaultLength(seed: number): number {
  return 12 + (seed % 29)
}

export type TextPlan = {
  pieces: string[]
  /** `length`: cut by max tokens; `stop_sequence`: cut at `stopSequence`; `stop`: natural end. */
  finish: 'stop' | 'length' | 'stop_sequence'
  stopSequence?: string
}

/**
 * Truncates planned output the way a model stops: at `maxTokens` first, then before the earliest
 * stop sequence in what is left (the stop sequence itself is never emitted).
 */
export function truncate(
  pieces: string[],
  maxTokens: number | undefined,
  stop: string[]
): TextPlan {
  let kept = pieces
  let finish: TextPlan['finish'] = 'stop'
  if (maxTokens !== undefined && maxTokens < pieces.length) {
    kept = pieces.slice(0, maxTokens)
    finish = 'length'
  }
  const text = kept.join('')
  let cutAt = -1
  let stopSequence: string | undefined
  for (const candidate of stop) {
    const at = candidate === '' ? -1 : text.indexOf(candidate)
    if (at !== -1 && (cutAt === -1 || at < cutAt)) {
      cutAt = at
      stopSequence = candidate
    }
  }
  if (cutAt === -1) return { pieces: kept, finish }
  return { pieces: piecesBefore(kept, cutAt), finish: 'stop_sequence', stopSequence }
}

function piecesBefore(pieces: string[], end: number): string[] {
  const out: string[] = []
  let offset = 0
  for (const piece of pieces) {
    if (offset + piece.length <= end) out.push(piece)
    else {
      if (offset < end) out.push(piece.slice(0, end - offset))
      break
    }
    offset += piece.length
  }
  return out
}
