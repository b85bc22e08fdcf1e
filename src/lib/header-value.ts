/**
 * A header value that any runtime accepts and no client misreads: characters outside printable
 * ASCII are percent-escaped by UTF-16 code unit (`%0A`, `%u00E9`). A raw CR or LF would split
 * the header, NUL makes `Headers` throw, and the rest reach clients as undecodable bytes.
 */
export function headerValue(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, (char) => {
    const code = char.charCodeAt(0)
    return code < 0x100
      ? `%${code.toString(16).toUpperCase().padStart(2, '0')}`
      : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`
  })
}
