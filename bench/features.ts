/**
 * The features that run per request, as data: each is a tenant config with the feature on and
 * the row it is compared with (the same request without it). The features group measures every
 * entry's CPU per request and p50 against its baseline. A later feature that adds per-request
 * work (token verification, guardrails, conversation state, logging, metrics) adds an entry here.
 * Every gateway observes every request unless OBSERVABILITY=off: the rows of the other features
 * include the request log and metrics on both sides, so they cancel out.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { CACHE_ON, createKeys, type TenantConfig, UNREACHABLE_LIMITS } from './tenants.ts'

/** What a feature's setup hands the load generator: per-request headers, say. */
export type FeatureRequests = { headersFor?: (sequence: number) => Record<string, string> }

export type FeatureSetup = {
  gatewayUrl: string
  adminToken: string
  tenantId: string
  apiKey: string
  /** How many requests the group will send with this feature, warm-up included. */
  requests: number
}

export type Feature = {
  name: string
  config: TenantConfig
  /** A feature name above it, or the trivial Worker (the runtime with no gateway at all). */
  baseline: string
  /** Work before the run (keys, documents); not measured. */
  prepare?: (setup: FeatureSetup) => Promise<FeatureRequests>
  /** A deployment-wide setting: the row gets a gateway of its own, started with these bindings. */
  gateway?: Record<string, string>
}

export const TRIVIAL_BASELINE = 'trivial Worker'
const PASS = 'authentication, isolate-cached key (pass-through)'
const EXACT = 'exact cache (miss, then store)'
const UNOBSERVED = 'pass-through with OBSERVABILITY=off (no request log, metrics or record)'
const { requests_per_minute, tokens_per_minute, max_concurrent, key_requests_per_minute } =
  UNREACHABLE_LIMITS

export const FEATURES: Feature[] = [
  // Authentication cannot be switched off: its row is the whole pass-through over the runtime.
  { name: PASS, config: {}, baseline: TRIVIAL_BASELINE },
  { name: UNOBSERVED, config: {}, baseline: TRIVIAL_BASELINE, gateway: { OBSERVABILITY: 'off' } },
  // The same request as the pass-through, measured against the gateway with observability off.
  {
    name: 'request log line, metrics increments and kept record (on vs off)',
    config: {},
    baseline: UNOBSERVED,
  },
  {
    name: 'authentication, cold key (not in the isolate cache)',
    config: {},
    baseline: PASS,
    prepare: async (setup) => {
      // One fresh key per request: each is looked up in Redis, then remembered.
      const keys = await createKeys(
        setup.gatewayUrl,
        setup.adminToken,
        setup.tenantId,
        setup.requests
      )
      let next = 0
      return {
        headersFor: () => {
          const key = keys[next % keys.length] ?? setup.apiKey
          next += 1
          return { authorization: `Bearer ${key}` }
        },
      }
    },
  },
  {
    name: 'requests-per-minute limit',
    config: { limits: { requests_per_minute } },
    baseline: PASS,
  },
  { name: 'tokens-per-minute limit', config: { limits: { tokens_per_minute } }, baseline: PASS },
  { name: 'concurrency limit', config: { limits: { max_concurrent } }, baseline: PASS },
  {
    name: 'per-key requests-per-minute limit',
    config: { limits: { key_requests_per_minute } },
    baseline: PASS,
  },
  { name: 'monthly budget', config: { budget: { monthly_hard_usd: 1_000_000 } }, baseline: PASS },
  { name: EXACT, config: { cache: { enabled: true } }, baseline: PASS },
  { name: 'semantic cache (miss, then store)', config: { cache: CACHE_ON }, baseline: EXACT },
  {
    name: 'retrieval (top 5 of a 20-document collection)',
    config: { retrieval: { collection: 'bench-docs', top_k: 5 } },
    baseline: PASS,
    prepare: async (setup) => {
      await ingestCollection(setup.gatewayUrl, setup.apiKey, 'bench-docs', 20)
      return {}
    },
  },
  {
    name: 'guardrails on input (size, deny list, PII redaction, injection score)',
    config: {
      guardrails: {
        checks: [
          { name: 'size', type: 'size', max_chars: 200_000, action: 'redact' },
          { name: 'words', type: 'deny', terms: ['project falcon'], patterns: ['acme-[0-9]{4}'] },
          { name: 'pii', type: 'pii', action: 'redact' },
          { name: 'injection', type: 'injection', threshold: 0.5 },
        ],
      },
    },
    baseline: PASS,
  },
  {
    name: 'end-user client token instead of the API key',
    config: { end_users: {} },
    baseline: PASS,
    prepare: async (setup) => {
      // Minted once by the tenant's backend; every request then presents it, as a browser would.
      const response = await fetch(`${setup.gatewayUrl}/v1/client_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${setup.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'bench-user', ttl_seconds: 7200 }),
      })
      if (!response.ok) throw new Error(`client token: ${response.status} ${await response.text()}`)
      const { token } = (await response.json()) as { token: string }
      return { headersFor: () => ({ authorization: `Bearer ${token}` }) }
    },
  },
  {
    name: 'end-user JWT from the tenant identity provider (key set cached)',
    config: {},
    baseline: PASS,
    prepare: async (setup) => {
      // An identity provider of the bench's own: its public key inline in the tenant's config.
      const { publicKey, privateKey } = await generateKeyPair('RS256')
      const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256' }
      const admin = (path: string, init: RequestInit = {}) =>
        fetch(`${setup.gatewayUrl}/admin/tenants/${setup.tenantId}${path}`, {
          ...init,
          headers: {
            authorization: `Bearer ${setup.adminToken}`,
            'content-type': 'application/json',
          },
        })
      const keys = (await (await admin('/keys')).json()) as { data: Array<{ id: string }> }
      const keyId = keys.data[0]?.id
      if (!keyId) throw new Error('the JWT row needs the tenant key to act under')
      const issuer = 'https://idp.bench.invalid'
      const patched = await admin('', {
        method: 'PATCH',
        body: JSON.stringify({
          config: {
            end_users: { jwt: { jwks: { keys: [jwk] }, issuer, audience: 'bench', key_id: keyId } },
          },
        }),
      })
      if (!patched.ok) throw new Error(`JWT config: ${patched.status} ${await patched.text()}`)
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
        .setIssuer(issuer)
        .setAudience('bench')
        .setSubject('bench-user')
        .setExpirationTime('2h')
        .sign(privateKey)
      return {
        headersFor: () => ({
          authorization: `Bearer ${token}`,
          'x-gateway-tenant': setup.tenantId,
        }),
      }
    },
  },
]

/** A collection of short documents, through the tenant's own /v1/collections API. */
async function ingestCollection(
  gatewayUrl: string,
  apiKey: string,
  name: string,
  documents: number
): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${gatewayUrl}/v1/collections${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`)
    await response.body?.cancel()
  }
  await post('', { name })
  await post(`/${name}/documents`, {
    documents: Array.from({ length: documents }, (_, i) => ({
      id: `doc-${i}`,
      title: `Benchmark document ${i}`,
      text: `Benchmark document ${i} answers questions about topic ${i}. The answer in a few words is: item ${i}. It repeats the benchmark request wording so a search finds it.`,
    })),
  })
}
