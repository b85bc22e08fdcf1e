/**
 * @module
 * Turns plain text, markdown and HTML into blocks of readable text: headings apart from
 * paragraphs, so the chunker can prefer to cut at a heading. Markup is dropped, link and image
 * text kept; a small line-based cleaner rather than a parser, to keep the Worker bundle small.
 */

export type Block = { heading: boolean; text: string }
export type SourceFormat = 'text' | 'markdown' | 'html'

export function cleanDocument(source: string, format: SourceFormat): Block[] {
  if (format === 'html') return paragraphs(htmlToText(source))
  if (format === 'markdown') return paragraphs(markdownToText(source))
  return paragraphs(source.replace(/\r\n?/g, '\n'))
}

/** Headings come out of both cleaners as lines marked with HEADING, on their own paragraph. */
const HEADING = '\u0001'

function paragraphs(text: string): Block[] {
  return text.split(/\n[ \t]*\n/).flatMap((paragraph) => {
    const trimmed = paragraph.replace(/[ \t]+\n/g, '\n').trim()
    if (trimmed === '') return []
    const heading = trimmed.startsWith(HEADING)
    const clean = trimmed.replaceAll(HEADING, '').trim()
    return clean === '' ? [] : [{ heading, text: clean }]
  })
}

function markdownToText(markdown: string): string {
  const out: string[] = []
  let fence: string | undefined
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n')
  lines.forEach((line, i) => {
    const fenceMark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence) {
      // Code is kept verbatim: it is often exactly what a question is about.
      if (fenceMark?.startsWith(fence)) fence = undefined
      else out.push(line)
      return
    }
    if (fenceMark) {
      fence = fenceMark
      return
    }
    const atx = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    const next = lines[i + 1] ?? ''
    if (atx) {
      out.push('', HEADING + inlineMarkdown(atx[1] ?? ''), '')
    } else if (
      /^\s{0,3}(?:=+|-+)\s*$/.test(next) &&
      line.trim() !== '' &&
      !/^\s*[-*+]\s/.test(line)
    ) {
      out.push('', HEADING + inlineMarkdown(line), '')
    } else if (/^\s{0,3}(?:[-*_]\s*){3,}$/.test(line) || /^\s{0,3}(?:=+|-+)\s*$/.test(line)) {
      out.push('')
    } else if (/^\s*\|?(?:\s*:?-+:?\s*\|)+\s*:?-*:?\s*\|?\s*$/.test(line)) {
      // A table's header separator carries no text.
    } else {
      out.push(inlineMarkdown(line.replace(/^\s{0,3}>\s?/, '').replace(/^(\s*)[*+]\s+/, '$1- ')))
    }
  })
  return out.join('\n')
}

function inlineMarkdown(line: string): string {
  return decodeEntities(
    line
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
      .replace(/<\/?[A-Za-z][^>]*>/g, '')
      .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
      .replace(/(^|[^\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])/g, '$1$2')
      .replace(/~~(.+?)~~/g, '$1')
      .replace(/`([^`]+)`/g, '$1')
      .replace(/^\s*\|\s*(.*?)\s*\|\s*$/, '$1')
      .replace(/\s*\|\s*/g, ' | ')
  )
}

const DROPPED_ELEMENTS =
  /<(script|style|noscript|template|svg|head|nav|iframe)\b[^>]*>[\s\S]*?<\/\1\s*>/gi
const BLOCK_TAGS =
  /<\/?(?:p|div|section|article|main|header|footer|aside|blockquote|pre|ul|ol|table|thead|tbody|tr|form|figure|figcaption|dl|hr)\b[^>]*>/gi

function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(DROPPED_ELEMENTS, '')
      .replace(/<h[1-6]\b[^>]*>([\s\S]*?)<\/h[1-6]\s*>/gi, (_, inner: string) => {
        return `\n\n${HEADING}${inner.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ')}\n\n`
      })
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<li\b[^>]*>/gi, '\n- ')
      .replace(/<\/(?:td|th)\s*>/gi, ' ')
      .replace(/<(?:dt|dd)\b[^>]*>/gi, '\n')
      .replace(BLOCK_TAGS, '\n\n')
      .replace(/<[^>]*>/g, '')
      .replace(/[ \t\f\v]+/g, ' ')
      .replace(/ ?\n ?/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
  )
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  mdash: '\u2014',
  ndash: '\u2013',
  hellip: '\u2026',
  copy: '\u00a9',
  rsquo: '\u2019',
  lsquo: '\u2018',
  rdquo: '\u201d',
  ldquo: '\u201c',
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number(body.slice(1))
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity
  })
}
