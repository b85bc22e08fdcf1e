/** What test/global-setup.ts provides: the local stack's URLs and tokens. */
import 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    redisRestUrl: string
    redisRestToken: string
    redisRestReadonlyToken: string
    /** Same REST URL, but an independent Redis database (a second region). */
    redisRestToken2: string
    vectorRestUrl: string
    vectorRestToken: string
    /** The Vector stand-in's test indexes by name (see dev/upstash-vector/test-indexes.ts). */
    vectorTestIndexes: Record<string, { url: string; token: string; readonlyToken: string }>
    mockProviderUrl: string
    /** dev/prometheus-bridge.ts: a real Prometheus whose scrapes the tests relay to the gateway. */
    prometheusBridgeUrl: string
    /** dev/otlp-receiver.ts: a loopback OTLP/HTTP JSON trace receiver. */
    otlpReceiverUrl: string
    /** dev/webhook-receiver.ts: records webhook deliveries, misbehaves on request. */
    webhookReceiverUrl: string
  }
}
