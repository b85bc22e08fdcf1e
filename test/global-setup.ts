import type { TestProject } from 'vitest/node'
import { buildDashboard } from '../dev/dashboard.ts'
import { startOtlpReceiver } from '../dev/otlp-receiver.ts'
import { startPrometheusBridge } from '../dev/prometheus-bridge.ts'
import { startStack } from '../dev/stack.ts'
import { startWebhookReceiver } from '../dev/webhook-receiver/server.ts'

/** Starts the local stack once for the whole run; tests find it through `inject()`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The dashboard's script, for the static assets the tests fetch.
  await buildDashboard()
  const stack = await startStack({ withVectorTestIndexes: true })
  if (!stack.mockProviderUrl) throw new Error('the test stack always runs the mock provider')
  project.provide('redisRestUrl', stack.redis.url)
  project.provide('redisRestToken', stack.redis.token)
  project.provide('redisRestReadonlyToken', stack.redis.readonlyToken)
  project.provide('redisRestToken2', stack.redis.secondRegionToken)
  project.provide('vectorRestUrl', stack.vector.url)
  project.provide('vectorRestToken', stack.vector.token)
  project.provide('vectorTestIndexes', stack.vector.testIndexes)
  project.provide('mockProviderUrl', stack.mockProviderUrl)
  // Prometheus itself starts only when a test asks the bridge for it.
  const prometheus = await startPrometheusBridge()
  project.provide('prometheusBridgeUrl', prometheus.url)
  const otlp = await startOtlpReceiver()
  project.provide('otlpReceiverUrl', otlp.url)
  const receiver = await startWebhookReceiver()
  project.provide('webhookReceiverUrl', receiver.url)
  return async () => {
    await receiver.close()
    await otlp.close()
    await prometheus.close()
    await stack.close()
  }
}
