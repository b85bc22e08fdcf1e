/** `npm run mock-provider [-- --port 8787] [--host 127.0.0.1]`: runs the mock provider alone. */
import { parseArgs } from 'node:util'
import { startMockProvider } from './server.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be an integer from 0 to 65535, got "${values.port}"`)
  process.exit(1)
}
const provider = await startMockProvider({ port, host: values.host })
console.log(`mock provider listening on ${provider.url} (OpenAI base URL ${provider.url}/v1)`)
const stop = () => {
  provider.close().then(() => process.exit(0))
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop)
