/**
 * @module
 * Token-aware chunking. Pieces are packed greedily up to the chunk size; a piece that does not fit
 * ends the chunk, and a piece larger than a chunk is split at the next finer boundary: heading
 * sections, then paragraphs, lines, sentences, words and finally characters. So a chunk ends at a
 * heading when it can, else at a paragraph, else mid-sentence only when a sentence is too long.
 * Consecutive chunks of one section share `overlap` tokens of trailing text.
 */
import { CHARS_PER_TOKEN, estimateTokens } from '../lib/tokens'
import type { Block } from './clean'

export type ChunkOptions = { size: number; overlap: number }

/** Finer and finer places to cut a piece that is too large, after sections and paragraphs. */
const SPLITTERS: Array<(text: string) => string[]> = [
  (text) => text.split(/(?<=\n)/),
  (text) => text.split(/(?<=[.!?\u3002]["')\]]?\s)/),
  (text) => text.split(/(?<=\s)/),
]

export function chunkBlocks(blocks: Block[], options: ChunkOptions): string[] {
  const chunks: string[] = []
  const maxChars = options.size * CHARS_PER_TOKEN
  let current = ''
  /** Length of the overlap `current` starts with. */
  let carried = 0
  const flush = (carryOverlap: boolean) => {
    const text = current.trim()
    if (text !== '') chunks.push(text)
    current = carryOverlap && text !== '' ? overlapTail(text, options.overlap) : ''
    carried = current.length
  }
  const fits = (piece: string) => estimateTokens(current + piece) <= options.size
  /** More than the carried overlap: flushing it makes progress. */
  const hasOwnText = () => current.slice(carried).trim() !== ''

  const addPiece = (piece: string, level: number): void => {
    if (fits(piece)) {
      current += piece
      return
    }
    if (hasOwnText()) {
      flush(true)
      if (fits(piece)) {
        current += piece
        return
      }
    }
    const splitter = SPLITTERS[level]
    if (splitter) for (const part of splitter(piece)) addPiece(part, level + 1)
    else fillByCharacters(piece)
  }
  /** Last resort for text with no usable boundary (a very long token): cut at the size. */
  const fillByCharacters = (piece: string) => {
    let rest = piece
    while (rest !== '') {
      if (current.length >= maxChars) flush(false)
      const room = maxChars - current.length
      current += rest.slice(0, room)
      rest = rest.slice(room)
    }
  }

  for (const section of sections(blocks)) {
    // A section that does not fit in what is left starts a chunk of its own, heading first,
    // without overlap from the previous section.
    if (!fits(`\n\n${section.join('\n\n')}`)) {
      if (hasOwnText()) flush(false)
      current = ''
      carried = 0
    }
    for (const paragraph of section) addPiece(current === '' ? paragraph : `\n\n${paragraph}`, 0)
  }
  flush(false)
  return chunks
}

/** Heading-led groups of paragraphs; text before the first heading is its own group. */
function sections(blocks: Block[]): string[][] {
  const groups: string[][] = []
  for (const block of blocks) {
    const last = groups.at(-1)
    if (block.heading || !last) groups.push([block.text])
    else last.push(block.text)
  }
  return groups
}

/** At most `overlap` tokens from the end, starting at a sentence if one starts there, else a word. */
function overlapTail(text: string, overlap: number): string {
  if (overlap <= 0) return ''
  const tail = text.slice(-overlap * CHARS_PER_TOKEN)
  if (tail.length === text.length) return `${tail.trim()} `
  const sentence = tail.search(/[.!?]\s+\S/)
  const word = tail.search(/\s\S/)
  const start = sentence >= 0 ? sentence + 1 : word
  return start >= 0 ? `${tail.slice(start).trim()} ` : ''
}
