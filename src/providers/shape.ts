/**
 * @module
 * The parts of an OpenAI-shaped answer the gateway reads (choices, messages, deltas, tool calls),
 * checked where the upstream's JSON enters, so a malformed answer is the upstream's failure (a
 * 502, or an error event mid-stream) and never a crash further down the pipeline.
 */
import { isRecord, type JsonRecord } from '../lib/json'
import { UpstreamProtocolError } from './errors'

const optional = (value: unknown, type: 'string' | 'number') =>
  value === undefined || value === null || typeof value === type

function isToolCall(value: unknown, partial: boolean): boolean {
  if (!isRecord(value)) return false
  const fn = value.function
  if (fn === undefined) return partial
  return (
    isRecord(fn) &&
    (partial ? optional(fn.name, 'string') : typeof fn.name === 'string') &&
    optional(fn.arguments, 'string')
  )
}

function isMessage(value: unknown, partial: boolean): boolean {
  if (!isRecord(value)) return false
  const calls = value.tool_calls
  return (
    optional(value.content, 'string') &&
    (calls === undefined ||
      calls === null ||
      (Array.isArray(calls) && calls.every((call) => isToolCall(call, partial))))
  )
}

function choicesOf(json: JsonRecord, field: 'message' | 'delta'): boolean {
  const { choices } = json
  return (
    Array.isArray(choices) &&
    choices.every(
      (choice) =>
        isRecord(choice) &&
        optional(choice.index, 'number') &&
        isMessage(choice[field], field === 'delta')
    )
  )
}

export function checkCompletion(json: unknown): JsonRecord {
  if (!isRecord(json) || !choicesOf(json, 'message')) {
    throw new UpstreamProtocolError('Upstream sent a chat completion that is not one')
  }
  return json
}

/** A chunk with no choices (a usage chunk) is fine; a choice must carry a well-formed delta. */
export function checkChunk(json: unknown): JsonRecord {
  if (!isRecord(json) || (json.choices !== undefined && !choicesOf(json, 'delta'))) {
    throw new UpstreamProtocolError('Upstream sent a malformed stream chunk')
  }
  return json
}
