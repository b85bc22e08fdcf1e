/** Deterministic tool-call arguments built from a JSON Schema, as a model would fill them in. */
import { pickWord, seededRandom } from './text.ts'

const MAX_DEPTH = 6

export function argumentsFor(schema: unknown, seed: number): Record<string, unknown> {
  const example = exampleFor(schema, seed)
  return isRecord(example) ? example : {}
}

/** A value valid against `schema` (the subset models are asked for), fixed by the seed. */
export function exampleFor(schema: unknown, seed: number): unknown {
  return exampleOf(schema, seededRandom(seed), 0)
}

/** An id in the provider's style (`call_…`, `toolu_…`), fixed by the seed. */
export function toolCallId(prefix: string, seed: number): string {
  const random = seededRandom(seed ^ 0x5bd1e995)
  let id = prefix
  while (id.length < prefix.length + 24) id += random().toString(36)
  return id.slice(0, prefix.length + 24)
}

function exampleOf(schema: unknown, random: () => number, depth: number): unknown {
  if (!isRecord(schema) || depth > MAX_DEPTH) return null
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[random() % schema.enum.length]
  }
  const alternatives = schema.anyOf ?? schema.oneOf
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    return exampleOf(alternatives[0], random, depth + 1)
  }
  const type = Array.isArray(schema.type)
    ? schema.type.find((candidate) => candidate !== 'null')
    : schema.type
  if (type === 'string') return `${pickWord(random)} ${pickWord(random)}`
  if (type === 'integer') return random() % 100
  if (type === 'number') return (random() % 1000) / 10
  if (type === 'boolean') return random() % 2 === 0
  if (type === 'array') return [exampleOf(schema.items, random, depth + 1)]
  if (type === 'object' || isRecord(schema.properties)) {
    const properties = isRecord(schema.properties) ? schema.properties : {}
    const out: Record<string, unknown> = {}
    for (const [name, property] of Object.entries(properties)) {
      out[name] = exampleOf(property, random, depth + 1)
    }
    return out
  }
  return null
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1
}
