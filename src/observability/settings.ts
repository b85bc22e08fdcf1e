/**
 * @module
 * A tenant's observability settings, validated as part of its config. Metrics are never sampled
 * (their counts must be exact); only the request log lines of successful requests are.
 */
import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'

export const ObservabilitySettingsSchema = lazy(() =>
  z.strictObject({
    /** Share of successful requests whose log line is written (0..1, default 1); failures always are. */
    log_sample_rate: z.optional(z.number().check(z.gte(0), z.lte(1))),
    /**
     * Adds the prompt and the answer (as the client sent and saw them) to the request log line
     * and the kept record, with PII and secrets replaced by the guardrails' detectors. Off by
     * default: the text is the tenant's users' data.
     */
    log_payloads: z.optional(z.boolean()),
    /** Characters kept of each of the prompt and the answer, after redaction (default 2000). */
    log_payload_max_chars: z.optional(z.int().check(z.minimum(1), z.maximum(32_768))),
    /** Feedback scores: `thumbs` (default) takes -1..1, `stars` takes whole numbers 1..5. */
    feedback_scale: z.optional(z.enum(['thumbs', 'stars'])),
    /** Thresholds over the last 5 complete minutes (src/observability/alerts.ts). */
    alerts: z.optional(
      z.strictObject({
        /** Share of failed requests above which an `error_rate` alert is raised. */
        error_rate: z.optional(z.number().check(z.gt(0), z.lte(1))),
        /** p95 request duration (to bucket resolution) above which `latency` is raised. */
        latency_p95_ms: z.optional(z.int().check(z.minimum(1), z.maximum(600_000))),
        /** Fewer requests than this in the window raise nothing (default 20). */
        min_requests: z.optional(z.int().check(z.minimum(1), z.maximum(1_000_000))),
      })
    ),
  })
)

export type ObservabilitySettings = z.infer<ReturnType<typeof ObservabilitySettingsSchema>>
