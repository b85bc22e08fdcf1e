/**
 * @module
 * Tool-call arguments as the input checks read and rewrite them: a JSON text whose values are
 * what the user's data ended up in. Checks see each string (and number) value on its own, so a
 * redacted value is replaced inside its string and the arguments stay valid JSON; the vault
 * keeps the value itself, not its JSON escaping. Arguments that do not parse (models do send
 * broken JSON) are read as plain text.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

function parsed(args: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(args) }
  } catch {
    return { ok: false }
  }
}

/** The texts of the arguments' values, for the checks to scan. */
export function argumentTexts(args: string): string[] {
  const json = parsed(args)
  if (!json.ok) return [args]
  const texts: string[] = []
  walk(json.value, (text) => {
    texts.push(text)
    return text
  })
  return texts
}

/** The arguments with every value passed through `map`; the same text when nothing changed. */
export function mapArguments(args: string, map: (text: string) => string): string {
  const json = parsed(args)
  if (!json.ok) return map(args)
  let changed = false
  const mapped = walk(json.value, (text) => {
    const out = map(text)
    if (out !== text) changed = true
    return out
  })
  return changed ? JSON.stringify(mapped) : args
}

/** Numbers are read as their digits: a card or phone number sent as a JSON number is still one. */
function walk(value: Json, map: (text: string) => string): Json {
  if (typeof value === 'string') return map(value)
  if (typeof value === 'number') {
    const text = String(value)
    const out = map(text)
    return out === text ? value : out
  }
  if (Array.isArray(value)) return value.map((item) => walk(item, map))
  if (value === null || typeof value === 'boolean') return value
  const out: { [key: string]: Json } = {}
  for (const [key, item] of Object.entries(value)) out[key] = walk(item, map)
  return out
}
