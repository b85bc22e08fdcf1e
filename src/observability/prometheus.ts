/**
 * @module
 * The Prometheus text exposition (format 0.0.4) of every tenant's running totals. Names follow the
 * OpenTelemetry GenAI conventions as OpenTelemetry's own Prometheus exporter spells them (dots to
 * underscores, the unit `s` as a `_seconds` suffix, `{token}` dropped); the gateway's own series
 * start with `gateway_`.
 */
import { CACHE_LABELS, HISTOGRAMS, type Histogram, parseMetricField } from './metrics'

/** One tenant's total hash as Redis returns it (numbers may arrive parsed or as strings). */
export type TenantTotals = { tenantId: string; fields: Record<string, unknown> | null }

type Labels = Record<string, string>

const HISTOGRAM_FAMILIES: Array<{ name: string; help: string; of: Histogram; extra?: Labels }> = [
  {
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'GenAI operation duration, request arrival to last byte.',
    of: HISTOGRAMS.duration,
  },
  {
    name: 'gen_ai_server_time_to_first_token_seconds',
    help: 'Time to the first token the client could read (the whole answer when not streamed).',
    of: HISTOGRAMS.ttft,
  },
  {
    name: 'gateway_overhead_seconds',
    help: "The gateway's own part of the wait: total time to the answer minus upstream time.",
    of: HISTOGRAMS.overhead,
  },
]

const TOKEN_FAMILY = 'gen_ai_client_token_usage'

export function exposition(tenants: TenantTotals[]): string {
  const series = new Map<string, Map<string, number>>()
  const labelsOf = new Map<string, Labels>()
  for (const { tenantId, fields } of tenants) {
    for (const [field, raw] of Object.entries(fields ?? {})) {
      const parsed = parseMetricField(field)
      const value = Number(raw)
      if (!parsed || !Number.isFinite(value)) continue
      const labels = { tenant: tenantId, provider: parsed.provider, model: parsed.model }
      const id = JSON.stringify(labels)
      labelsOf.set(id, labels)
      const values = series.get(id) ?? new Map<string, number>()
      series.set(id, values)
      values.set(parsed.series, value)
    }
  }
  const out: string[] = []
  const each = (emit: (values: Map<string, number>, labels: Labels) => void) => {
    for (const [id, values] of series) emit(values, labelsOf.get(id) ?? {})
  }

  family(out, 'gateway_requests_total', 'counter', 'GenAI requests (chat, embeddings) per tenant.')
  each((values, labels) => sample(out, 'gateway_requests_total', labels, values.get('requests')))
  family(out, 'gateway_errors_total', 'counter', 'Failed requests by OpenAI error type.')
  each((values, labels) => {
    for (const [name, value] of values) {
      if (!name.startsWith('errors:')) continue
      sample(out, 'gateway_errors_total', { ...labels, error_type: name.slice(7) }, value)
    }
  })
  family(out, 'gateway_cache_requests_total', 'counter', 'Answers by cache result.')
  each((values, labels) => {
    for (const result of CACHE_LABELS) {
      const value = values.get(`cache:${result}`)
      sample(out, 'gateway_cache_requests_total', { ...labels, cache_result: result }, value)
    }
  })
  family(out, 'gateway_cost_usd_total', 'counter', 'Spend in USD at the tenant prices.')
  each((values, labels) => sample(out, 'gateway_cost_usd_total', labels, values.get('cost_usd')))

  family(out, TOKEN_FAMILY, 'histogram', 'Billable tokens per request, by token type.')
  each((values, labels) => {
    histogram(
      out,
      TOKEN_FAMILY,
      { ...labels, gen_ai_token_type: 'input' },
      HISTOGRAMS.inputTokens,
      values
    )
    histogram(
      out,
      TOKEN_FAMILY,
      { ...labels, gen_ai_token_type: 'output' },
      HISTOGRAMS.outputTokens,
      values
    )
  })
  for (const { name, help, of } of HISTOGRAM_FAMILIES) {
    family(out, name, 'histogram', help)
    each((values, labels) => histogram(out, name, labels, of, values))
  }
  return `${out.join('\n')}\n`
}

function family(out: string[], name: string, type: 'counter' | 'histogram', help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
}

function sample(out: string[], name: string, labels: Labels, value: number | undefined): void {
  if (value === undefined) return
  out.push(`${name}{${labelText(labels)}} ${value}`)
}

/** Cumulative buckets from the per-bucket fields; a label set with no observation is left out. */
function histogram(
  out: string[],
  name: string,
  labels: Labels,
  of: Histogram,
  values: Map<string, number>
): void {
  const counts = Array.from(
    { length: of.buckets.length + 1 },
    (_, index) => values.get(`${of.series}:b${index}`) ?? 0
  )
  const total = counts.reduce((sum, count) => sum + count, 0)
  if (total === 0) return
  let running = 0
  for (const [index, count] of counts.entries()) {
    running += count
    const le = index < of.buckets.length ? String(of.buckets[index]) : '+Inf'
    out.push(`${name}_bucket{${labelText({ ...labels, le })}} ${running}`)
  }
  out.push(`${name}_sum{${labelText(labels)}} ${values.get(`${of.series}:sum`) ?? 0}`)
  out.push(`${name}_count{${labelText(labels)}} ${total}`)
}

/** Label values are escaped as the format requires: backslash, double quote, newline. */
function labelText(labels: Labels): string {
  return Object.entries(labels)
    .map(([name, value]) => {
      const escaped = value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
      return `${name}="${escaped}"`
    })
    .join(',')
}
