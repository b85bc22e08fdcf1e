/**
 * Everything under test, started on loopback: the local stack (own process), the gateway and the
 * trivial Worker (each in its own workerd via Miniflare) and Portkey's gateway on Node, plus
 * the tenants and the request targets the figures compare.
 */
import { randomBytes } from 'node:crypto'
import { type BundleSize, bundleSize } from './bundle-size.ts'
import type { Target } from './overhead.ts'
import {
  type Child,
  childProcesses,
  type Portkey,
  type StackAddresses,
  startPortkey,
  startStackProcess,
} from './processes.ts'
import {
  buildWorker,
  loadPortkeyWorker,
  PORTKEY_WORKER,
  type RunningWorker,
  startWorker,
  TRIVIAL_WORKER,
  type WorkerBundle,
} from './runtime.ts'

export type Bench = {
  stack: StackAddresses & Pick<Child, 'pid'> & { redisServerPid: number | undefined }
  gateway: RunningWorker
  trivial: RunningWorker
  portkey: Portkey
  /** Portkey's Worker build in workerd; undefined when its bundle is not on this machine. */
  portkeyWorker: RunningWorker | undefined
  bundles: { gateway: WorkerBundle; trivial: WorkerBundle; portkey: WorkerBundle | undefined }
  bundleSize: BundleSize
  adminToken: string
  /**
   * One more gateway workerd on the same stores, with some variables replaced (the stand-ins'
   * URLs pointed at a delaying proxy, say); the caller closes it.
   */
  startGateway(overrides: Record<string, string>): Promise<RunningWorker>
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
    const portkeyBundle = loadPortkeyWorker()
    const portkeyWorker = portkeyBundle
      ? await startWorker(portkeyBundle, PORTKEY_WORKER.vars, PORTKEY_WORKER.runtime)
      : undefined
    if (portkeyWorker) closers.push(portkeyWorker.close)
    return {
      stack: { ...stack, redisServerPid: [...childProcesses(stack.pid, 'redis-server')][0] },
      gateway,
      trivial,
      portkey,
      portkeyWorker,
      bundles: { gateway: gatewayBundle, trivial: trivialBundle, portkey: portkeyBundle },
      bundleSize: bundleSize(Buffer.from(gatewayBundle.code), gatewayBundle.file),
      adminToken,
      startGateway: (overrides) => startWorker(gatewayBundle, { ...gatewayVars, ...overrides }),
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

export type ReferenceTargets = {
  direct: Target
  trivial: Target
  portkey: Target
  /** Portkey's Worker build in workerd, when its bundle is here. */
  portkeyWorker: Target | undefined
}

/** Direct to the mock, through the trivial Worker, and through Portkey: no gateway key needed. */
export function referenceTargets(bench: Bench, model: string): ReferenceTargets {
  const headers = { authorization: 'Bearer bench' }
  const portkeyHeaders = {
    ...headers,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${bench.stack.mockProviderUrl}/v1`,
  }
  const worker = bench.portkeyWorker
  return {
    direct: { name: 'direct', url: `${bench.stack.mockProviderUrl}${CHAT}`, headers, model },
    trivial: {
      name: 'trivial Worker',
      url: `${bench.trivial.url}${CHAT}`,
      headers,
      model,
      ...pid(bench.trivial.pid),
    },
    portkey: {
      name: 'Portkey (Node)',
      url: `${bench.portkey.url}${CHAT}`,
      headers: portkeyHeaders,
      model,
      pid: bench.portkey.pid,
    },
    portkeyWorker: worker && {
      name: 'Portkey (workerd)',
      url: `${worker.url}${CHAT}`,
      headers: portkeyHeaders,
      model,
      ...pid(worker.pid),
    },
  }
}

export function gatewayTarget(
  bench: Bench,
  name: string,
  apiKey: string,
  model: string,
  worker: RunningWorker = bench.gateway
): Target {
  return {
    name,
    url: `${worker.url}${CHAT}`,
    headers: { authorization: `Bearer ${apiKey}` },
    model,
    ...pid(worker.pid),
  }
}

/** Only a found pid: an absent one leaves the property out (exactOptionalPropertyTypes style). */
function pid(value: number | undefined): { pid?: number } {
  return value === undefined ? {} : { pid: value }
}
