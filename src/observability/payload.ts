/**
 * @module
 * Payload logging, when a tenant turns it on (`observability.log_payloads`): the prompt and the
 * answer text in the request log line, through the guardrails' PII and secret detectors and cut
 * to a size. Runs after the response, with the log line; the pipeline only hands over thunks, so
 * a tenant without the setting pays nothing for it.
 */
import { redactPii } from '../guardrails/spans'
import { contentText } from '../lib/tokens'
import type { ChatRequest } from '../openai/chat-request'
import type { Payload } from './record'
import type { ObservabilitySettings } from './settings'

const DEFAULT_MAX_CHARS = 2000
/**
 * Read past the cap so that an entity straddling it is still whole when the detectors see it; the
 * longest they find is a PEM private key (up to 16 KB between its markers).
 */
const DETECTION_MARGIN = 16_500

export type PayloadFields = { prompt?: string; answer?: string }

/** The messages as one text, one `role: text` line each, as a log reader would want them. */
export function promptText(messages: ChatRequest['messages']): string {
  return messages.map((message) => `${message.role}: ${contentText(message.content)}`).join('\n')
}

export function payloadFields(
  payload: Payload,
  settings: ObservabilitySettings | undefined
): PayloadFields {
  if (!settings?.log_payloads) return {}
  const max = settings.log_payload_max_chars ?? DEFAULT_MAX_CHARS
  const fields: PayloadFields = {}
  if (payload.prompt) fields.prompt = redactedPrefix(payload.prompt(), max)
  if (payload.answer) fields.answer = redactedPrefix(payload.answer(), max)
  return fields
}

function redactedPrefix(text: string, max: number): string {
  const redacted = redactPii(text.slice(0, max + DETECTION_MARGIN))
  return redacted.length <= max ? redacted : `${redacted.slice(0, max)}…[truncated]`
}
