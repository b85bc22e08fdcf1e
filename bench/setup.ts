/**
 * Everything under test, started on loopback: the local stack (own process), the gateway and the
 * trivial Worker (each in its own workerd via Miniflare) and Portkey's gateway on Node, plus
 * the tenants and the request targets the figures compare.
 */
import { randomBytes } from 'node:crypto'
import { type BundleSize, bundleSize } from './bundle-size.ts'
import type { Target } from './overhead.ts'
import { type Portkey, type StackAddresses, startPortkey, startStackProcess } from './processes.ts'
import {
  buildWorker,
  type RunningWorker,
  startWorker,
  TRIVIAL_WORKER,
  type WorkerBundle,
} from './runtime.ts'

export type Bench = {
  stack: StackAddresses
  gateway: RunningWorker
  trivial: RunningWorker
  portkey: Portkey
  bundles: { gateway: WorkerBundle; trivial: WorkerBundle }
  bundleSize: BundleSize
  gatewayVars: Record<string, string>
  trivialVars: Record<string, string>
  adminToken: string
  close(): Promise<void>
}

const CHAT = '/v1/chat/completions'

export async function startBench(): Promise<Bench> {
  const closers: Array<() => Promise<void>> = []
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => {})
  }
  try {
    const gatewayBundle = buildWorker('gateway')
    const trivialBundle = buildWorker('trivial', TRIVIAL_WORKER)
    const stack = await startStackProcess()
    closers.push(stack.close)
    const adminToken = `adm-${randomBytes(24).toString('base64url')}`
    const gatewayVars = {
      ENVIRONMENT: 'development',
      ALLOW_LOOPBACK_UPSTREAMS: 'true',
      ADMIN_TOKEN: adminToken,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      UPSTASH_REDIS_REST_URL: stack.redis.url,
      UPSTASH_REDIS_REST_TOKEN: stack.redis.token,
      UPSTASH_VECTOR_REST_URL: stack.vector.url,
      UPSTASH_VECTOR_REST_TOKEN: stack.vector.token,
      MOCK_PROVIDER_URL: stack.mockProviderUrl,
    }
    const trivialVars = { UPSTREAM_URL: stack.mockProviderUrl }
    const gateway = await startWorker(gatewayBundle, gatewayVars)
    closers.push(gateway.close)
    const trivial = await startWorker(trivialBundle, trivialVars)
    closers.push(trivial.close)
    const portkey = await startPortkey()
    closers.push(portkey.close)
    return {
      stack,
      gateway,
      trivial,
      portkey,
      bundles: { gateway: gatewayBundle, trivial: trivialBundle },
      bundleSize: bundleSize(Buffer.from(gatewayBundle.code), gatewayBundle.file),
      gatewayVars,
      trivialVars,
      adminToken,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** Direct to the mock, through the trivial Worker, and through Portkey: no gateway key needed. */
export function referenceTargets(
  bench: Bench,
  model: string
): { direct: Target; trivial: Target; portkey: Target } {
  const headers = { authorization: 'Bearer bench' }
  return {
    direct: { name: 'direct', url: `${bench.stack.mockProviderUrl}${CHAT}`, headers, model },
    trivial: { name: 'trivial Worker', url: `${bench.trivial.url}${CHAT}`, headers, model },
    portkey: {
      name: 'Portkey',
      url: `${bench.portkey.url}${CHAT}`,
      headers: {
        ...headers,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${bench.stack.mockProviderUrl}/v1`,
      },
      model,
    },
  }
}

export function gatewayTarget(bench: Bench, name: string, apiKey: string, model: string): Target {
  return {
    name,
    url: `${bench.gateway.url}${CHAT}`,
    headers: { authorization: `Bearer ${apiKey}` },
    model,
  }
}
