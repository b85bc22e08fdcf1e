/** `npm run webhook-receiver [-- --port 8790]`: the tests' webhook receiver, alone, on loopback. */
import { parseArgs } from 'node:util'
import { startWebhookReceiver } from './server.ts'

const { values } = parseArgs({ options: { port: { type: 'string', default: '8790' } } })
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be an integer from 0 to 65535, got "${values.port}"`)
  process.exit(1)
}
const receiver = await startWebhookReceiver(port)
console.log(
  `webhook receiver: register ${receiver.url}/hooks/<tag>; see ${receiver.url}/_received?tag=<tag>`
)
const stop = () => {
  receiver.close().then(() => process.exit(0))
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop)
