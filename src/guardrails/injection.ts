/**
 * @module
 * Prompt-injection and jailbreak heuristics with a score: each signal found adds its weight as
 * an independent probability (score = 1 - Π(1 - w)), so two weak signals outweigh one, and no
 * number of them exceeds 1. Heuristics, not a classifier: they catch the common phrasings
 * cheaply and are meant to be combined with moderation where that matters.
 */

type Signal = { name: string; pattern: RegExp; weight: number }

const SIGNALS: Signal[] = [
  {
    name: 'ignore_instructions',
    pattern:
      /\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|all|any|your|the)\b[^.\n]{0,20}?\b(?:instructions?|prompts?|rules|directives|guidelines|context)\b/i,
    weight: 0.7,
  },
  {
    name: 'system_prompt_exfiltration',
    pattern:
      /\b(?:reveal|print|show|repeat|output|display|tell me|what (?:is|are|were))\b[^.\n]{0,30}?\b(?:system prompt|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|your (?:instructions|prompt|rules))\b/i,
    weight: 0.6,
  },
  {
    name: 'jailbreak_persona',
    pattern:
      /\b(?:DAN|do anything now|developer mode|jailbreak(?:ed)?|unfiltered mode|god mode|no (?:restrictions|limitations|filters))\b/i,
    weight: 0.5,
  },
  {
    name: 'role_play',
    pattern:
      /\b(?:pretend (?:you are|to be|that you)|you are now|act as (?:if|an?)|from now on,? you)\b/i,
    weight: 0.3,
  },
  {
    name: 'role_markers',
    pattern: /<\|im_start\|>|<\|system\|>|\[\/?(?:INST|SYS)\]|^\s*(?:system|assistant)\s*:/im,
    weight: 0.5,
  },
]

const BASE64_RUN = /[A-Za-z0-9+/]{40,4096}={0,2}/g
const INSTRUCTION_WORDS = /\b(?:ignore|instructions|system|prompt|pretend|reveal|password)\b/i

export type InjectionScore = { score: number; signals: string[] }

export function scoreInjection(text: string): InjectionScore {
  const signals = SIGNALS.filter((signal) => signal.pattern.test(text))
  let keep = signals.reduce((product, signal) => product * (1 - signal.weight), 1)
  const names = signals.map((signal) => signal.name)
  if (hasEncodedInstructions(text)) {
    keep *= 1 - 0.5
    names.push('encoded_payload')
  }
  return { score: Math.round((1 - keep) * 1000) / 1000, signals: names }
}

/** A long base64 run that decodes to readable text asking for something: a smuggled payload. */
function hasEncodedInstructions(text: string): boolean {
  for (const match of text.matchAll(BASE64_RUN)) {
    let decoded: string
    try {
      decoded = atob(match[0].slice(0, match[0].length - (match[0].length % 4)))
    } catch {
      continue
    }
    const printable = decoded.replace(/[^\x20-\x7e]/g, '').length / Math.max(1, decoded.length)
    if (printable > 0.9 && INSTRUCTION_WORDS.test(decoded)) return true
  }
  return false
}
