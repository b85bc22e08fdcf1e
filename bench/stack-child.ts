/**
 * The local stack (dev/stack.ts) in a process of its own, so the mock provider and the Upstash
 * stand-ins never share an event loop with the load generator that measures them. Prints one JSON
 * line with the stack's addresses, then runs until it is sent SIGTERM.
 */
import { startStack } from '../dev/stack.ts'

const stack = await startStack()
const { close, ...addresses } = stack
process.stdout.write(`${JSON.stringify(addresses)}\n`)
const stop = () => {
  close().then(() => process.exit(0))
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
