/**
 * @module
 * Reversible redaction: PII found on input becomes a stable placeholder (`[EMAIL_1]`, the same
 * one for the same value everywhere in the request) before the request leaves for the upstream,
 * the cache key or a log. The answer's placeholders are restored for the client. The mapping
 * lives in this object, for this request only.
 */

const PLACEHOLDER = /\[([A-Z]{2,10})_(\d{1,4})\]/g
/** `[` + type (up to 10) + `_` + up to 4 digits + `]`. */
const MAX_PLACEHOLDER_LENGTH = 17

/** How a restored value is written into the text around it. */
export type Encode = (value: string) => string

const verbatim: Encode = (value) => value

/** A value restored inside a JSON string (tool-call arguments): quotes, backslashes, newlines. */
export const jsonStringContent: Encode = (value) => JSON.stringify(value).slice(1, -1)

export class Vault {
  private readonly byValue = new Map<string, string>()
  private readonly byPlaceholder = new Map<string, string>()
  private readonly counts = new Map<string, number>()

  get size(): number {
    return this.byPlaceholder.size
  }

  placeholder(type: string, value: string): string {
    const known = this.byValue.get(value)
    if (known) return known
    const label = type.toUpperCase()
    const n = (this.counts.get(label) ?? 0) + 1
    this.counts.set(label, n)
    const placeholder = `[${label}_${n}]`
    this.byValue.set(value, placeholder)
    this.byPlaceholder.set(placeholder, value)
    return placeholder
  }

  /**
   * Known placeholders back to their values, written by `encode` (JSON-escaped inside tool-call
   * arguments); anything else that looks like one stays.
   */
  restore(text: string, encode: Encode = verbatim): string {
    if (this.size === 0 || !text.includes('[')) return text
    return text.replace(PLACEHOLDER, (placeholder) => {
      const value = this.byPlaceholder.get(placeholder)
      return value === undefined ? placeholder : encode(value)
    })
  }

  /** A streaming restorer: one per text of a streamed answer (a choice's content, a tool call). */
  restorer(encode: Encode = verbatim): Restorer {
    return new Restorer(this, encode)
  }

  /** Whether `tail` (starting with `[`) could still grow into a known placeholder. */
  couldBecome(tail: string): boolean {
    for (const placeholder of this.byPlaceholder.keys()) {
      if (placeholder.startsWith(tail)) return true
    }
    return false
  }
}

/**
 * Restores placeholders in text that arrives in pieces. It holds back only a tail that is the
 * beginning of a known placeholder (`[EM`, `[EMAIL_1`), so a placeholder split across chunks is
 * still restored and no other text waits at all.
 */
export class Restorer {
  private pending = ''

  constructor(
    private readonly vault: Vault,
    private readonly encode: Encode
  ) {}

  push(text: string): string {
    const buffered = this.pending + text
    const open = buffered.lastIndexOf('[')
    const tail = open === -1 ? '' : buffered.slice(open)
    const hold =
      open !== -1 &&
      tail.length < MAX_PLACEHOLDER_LENGTH &&
      !tail.includes(']') &&
      this.vault.couldBecome(tail)
    this.pending = hold ? tail : ''
    return this.vault.restore(hold ? buffered.slice(0, open) : buffered, this.encode)
  }

  /** The held tail, at the end of the answer: it never became a placeholder. */
  flush(): string {
    const rest = this.pending
    this.pending = ''
    return rest
  }
}
