/**
 * What the mock model says, independent of wire format: a tool call, the echoed prompt, or
 * generated prose, truncated by max tokens and stop sequences.
 */
import type { Controls } from './controls.ts'
import { defaultLength, generatePieces, type TextPlan, tokenize, truncate } from './text.ts'
import { argumentsFor, exampleFor } from './tools.ts'

export type ToolCallAnswer = {
  kind: 'tool'
  name: string
  input: Record<string, unknown>
  pieces: string[]
}
export type Answer = ({ kind: 'text' } & TextPlan) | ToolCallAnswer

export type Question = {
  seed: number
  /** The prompt as `role: content` lines, built only for the echo control. */
  transcript: () => string
  controls: Controls
  maxTokens: number | undefined
  stop: string[]
  /** Set when the model should call a tool now. */
  tool: { name: string; schema: unknown } | undefined
  /** Structured output: JSON (matching `schema` when one is given) instead of prose. */
  format?: { schema: unknown } | undefined
}

export function answer(question: Question): Answer {
  const { controls, tool, seed } = question
  if (tool && !controls.echo) {
    // Echoed arguments carry the prompt back the way a model quoting it would (placeholders too).
    const input = controls.echoArgs
      ? { echo: question.transcript() }
      : argumentsFor(tool.schema, seed)
    return { kind: 'tool', name: tool.name, input, pieces: tokenize(JSON.stringify(input)) }
  }
  if (question.format && !controls.echo) {
    // Never truncated by stop sequences: a cut would no longer parse, and nothing is learnt.
    const json = question.format.schema
      ? exampleFor(question.format.schema, seed)
      : { answer: generatePieces(seed, 8).join('').trim() }
    return { kind: 'text', pieces: tokenize(JSON.stringify(json)), finish: 'stop' }
  }
  const pieces = controls.echo
    ? tokenize(question.transcript())
    : generatePieces(seed, controls.tokens ?? defaultLength(seed))
  return { kind: 'text', ...truncate(pieces, question.maxTokens, question.stop) }
}

/** Completion tokens: one per piece, plus the tool name for a call. */
export function answerTokens(answer: Answer): number {
  return answer.pieces.length + (answer.kind === 'tool' ? tokenize(answer.name).length : 0)
}

/** Seeds differ per choice so `n > 1` gives distinct but reproducible answers. */
export function choiceSeed(seed: number, index: number): number {
  return (seed + Math.imul(index, 0x9e3779b9)) >>> 0
}
