/**
 * `POST /v1/embeddings`: deterministic unit vectors by feature hashing of the words, so equal
 * inputs embed equally and inputs sharing words land close together (useful for semantic-cache
 * tests), at a cost of one hash per word.
 */
import type { Reply } from './deliver.ts'
import type { EndpointInput } from './endpoint.ts'
import { errorBody } from './errors.ts'
import { countTokens, hashString, seededRandom } from './text.ts'
import { isPositiveInteger } from './tools.ts'

const DEFAULT_DIMENSIONS = 384
const MAX_DIMENSIONS = 4096
const WORD = /[\p{L}\p{N}]+/gu

type Input = string | number[]

export function embeddings({ body, model, controls }: EndpointInput): Reply {
  const inputs = parseInput(body.input)
  if (typeof inputs === 'string') return invalid(inputs, 'input')
  const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS
  if (!isPositiveInteger(dimensions) || dimensions > MAX_DIMENSIONS) {
    return invalid(`'dimensions' must be an integer from 1 to ${MAX_DIMENSIONS}`, 'dimensions')
  }
  const format = body.encoding_format ?? 'float'
  if (format !== 'float' && format !== 'base64') {
    return invalid("'encoding_format' must be 'float' or 'base64'", 'encoding_format')
  }
  const data = inputs.map((input, index) => {
    const vector = embed(input, dimensions)
    return {
      object: 'embedding',
      index,
      embedding: format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : [...vector],
    }
  })
  const tokens = inputs.reduce(
    (sum, input) => sum + (typeof input === 'string' ? countTokens(input) : input.length),
    0
  )
  const usage = controls.nousage ? undefined : { prompt_tokens: tokens, total_tokens: tokens }
  return { kind: 'json', status: 200, body: { object: 'list', data, model, usage } }
}

/** Float32 like OpenAI's base64 encoding (little-endian on every platform Node runs on). */
export function embed(input: Input, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions)
  const features = typeof input === 'string' ? (input.toLowerCase().match(WORD) ?? []) : input
  for (const feature of features) {
    const hash = hashString(String(feature))
    const slot = hash % dimensions
    vector[slot] = (vector[slot] ?? 0) + (hash & 0x80000000) === 0 ? 1 : -1
  }
  let norm = Math.hypot(...vector)
  if (norm === 0) {
    // No words (punctuation only) or cancelling hashes: fall back to a vector seeded by the input.
    const random = seededRandom(hashString(JSON.stringify(input)))
    for (let i = 0; i < dimensions; i++) vector[i] = random() / 0xffffffff - 0.5
    norm = Math.hypot(...vector)
  }
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) / norm
  return vector
}

function parseInput(input: unknown): Input[] | string {
  const message = "'input' must be a non-empty string, array of strings, or array of token arrays"
  if (typeof input === 'string') return input === '' ? message : [input]
  if (!Array.isArray(input) || input.length === 0 || input.length > 2048) return message
  if (input.every((item) => typeof item === 'number'))
    return isTokenArray(input) ? [input] : message
  const out: Input[] = []
  for (const item of input) {
    if (typeof item === 'string' && item !== '') out.push(item)
    else if (isTokenArray(item)) out.push(item)
    else return message
  }
  return out
}

function isTokenArray(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((token) => Number.isInteger(token) && token >= 0)
  )
}

function invalid(message: string, param: string): Reply {
  return { kind: 'json', status: 400, body: errorBody('openai', 400, message, param) }
}
