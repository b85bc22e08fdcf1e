/**
 * @module
 * OpenTelemetry traces of GenAI requests, exported over OTLP/HTTP JSON with `fetch` after the
 * response (off unless `OTLP_TRACES_URL` is set; sampled by `OTLP_SAMPLE_RATE`). One request is one
 * trace, or continues the caller's (W3C `traceparent`): a `CLIENT` span `{operation} {model}`
 * with the GenAI semantic-convention attributes, and a child span per pipeline stage (auth,
 * retrieval, admission, cache, upstream). No prompt or answer text is ever an attribute.
 */
import type { GatewayConfig } from '../config'
import { toHex } from '../lib/crypto'
import { labelsOf } from './metrics'
import { failed, type RequestObservation, type RequestRecord } from './record'

const SERVICE = 'edge-llm-gateway'
const SPAN_KIND_INTERNAL = 1
const SPAN_KIND_CLIENT = 3
const STATUS_ERROR = 2

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
type KeyValue = { key: string; value: AnyValue }

export type OtlpSpan = {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: KeyValue[]
  status?: { code: number; message?: string }
}

export type OtlpTraces = {
  resourceSpans: Array<{
    resource: { attributes: KeyValue[] }
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>
  }>
}

/** `00-<trace id>-<parent id>-<flags>`: the caller's trace, when it sent a valid one. */
export function parseTraceparent(
  header: string | undefined
): { traceId: string; parentSpanId: string } | undefined {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(header ?? '')
  if (!match?.[1] || !match[2] || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return undefined
  return { traceId: match[1], parentSpanId: match[2] }
}

export function traceOf(
  record: RequestRecord,
  observation: RequestObservation,
  parent: { traceId: string; parentSpanId: string } | undefined
): OtlpTraces {
  const traceId = parent?.traceId ?? randomHex(16)
  const rootId = randomHex(8)
  const { startedAt, epochMs } = observation
  // performance.now() offsets on the arrival's wall-clock time, in nanoseconds as strings.
  const nanos = (at: number) => String(Math.round((epochMs + (at - startedAt)) * 1e3) * 1e3)
  const end = startedAt + record.totalMs
  const { provider, model } = labelsOf(record.target)
  const operation = record.operation ?? 'chat'
  const requestedModel = record.requestedModel ?? model
  const attributes: KeyValue[] = [
    text('gen_ai.operation.name', operation),
    text('gen_ai.request.model', requestedModel),
    int('http.response.status_code', record.status),
    text('gateway.request_id', record.requestId),
  ]
  if (provider) attributes.push(text('gen_ai.provider.name', provider))
  if (model && record.status < 400) attributes.push(text('gen_ai.response.model', model))
  if (record.inputTokens !== undefined) {
    attributes.push(int('gen_ai.usage.input_tokens', record.inputTokens))
  }
  if (record.outputTokens !== undefined) {
    attributes.push(int('gen_ai.usage.output_tokens', record.outputTokens))
  }
  if (record.tenantId) attributes.push(text('gateway.tenant_id', record.tenantId))
  if (record.cache) attributes.push(text('gateway.cache', record.cache))
  if (record.attempts !== undefined) attributes.push(int('gateway.attempts', record.attempts))
  if (record.streamOutcome) attributes.push(text('gateway.stream.outcome', record.streamOutcome))
  if (record.errorType) attributes.push(text('error.type', record.errorCode ?? record.errorType))
  const root: OtlpSpan = {
    traceId,
    spanId: rootId,
    ...(parent && { parentSpanId: parent.parentSpanId }),
    name: requestedModel ? `${operation} ${requestedModel}` : operation,
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: nanos(startedAt),
    endTimeUnixNano: nanos(end),
    attributes,
    ...(failed(record) && { status: { code: STATUS_ERROR, message: record.errorType } }),
  }
  const child = (name: string, from: number, to: number, error: boolean): OtlpSpan => ({
    traceId,
    spanId: randomHex(8),
    parentSpanId: rootId,
    name,
    kind: name === 'upstream' ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL,
    startTimeUnixNano: nanos(from),
    endTimeUnixNano: nanos(to),
    attributes: name === 'upstream' && provider ? [text('gen_ai.provider.name', provider)] : [],
    ...(error && { status: { code: STATUS_ERROR } }),
  })
  const spans = [root]
  if (observation.handlerAt !== undefined) {
    spans.push(child('auth', startedAt, observation.handlerAt, false))
  }
  for (const stage of observation.stages) {
    spans.push(child(stage.name, stage.start, stage.end ?? end, stage.failed))
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [text('service.name', SERVICE)] },
        scopeSpans: [{ scope: { name: SERVICE }, spans }],
      },
    ],
  }
}

export function exportTrace(
  otlp: NonNullable<GatewayConfig['otlp']>,
  traces: OtlpTraces
): Promise<void> {
  return fetch(otlp.url, {
    method: 'POST',
    headers: { ...otlp.headers, 'content-type': 'application/json' },
    body: JSON.stringify(traces),
  }).then(async (response) => {
    // The body is drained either way: an unread body holds the connection.
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`OTLP collector answered ${response.status}`)
  })
}

function text(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } }
}

/** OTLP JSON carries 64-bit integers as decimal strings. */
function int(key: string, value: number): KeyValue {
  return { key, value: { intValue: String(Math.round(value)) } }
}

function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)))
}
