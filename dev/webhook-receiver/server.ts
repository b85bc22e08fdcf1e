/**
 * A loopback webhook receiver for the tests and the local stack: it keeps every request it gets
 * (raw body and headers, as a signature check needs them) and misbehaves on request. An endpoint
 * URL is `<url>/hooks/<tag>` plus controls in its query string, which the gateway sends back
 * with every delivery:
 * - `fail=N`: the first N requests fail with `status` (500 unless given); `status` alone: always.
 * - `retry_after=V`: failures carry `Retry-After: V`; `abort=1`: they carry
 *   `webhook-delivery: abort-message`.
 * - `hang=N`: the first N requests are never answered.
 * - `redirect=1`: every request is answered 302 to `/hooks/<tag>-redirected`.
 * `GET /_received?tag=<tag>` returns what the tag received, oldest first.
 */
import { createServer } from 'node:http'

export type ReceivedWebhook = {
  at: number
  headers: Record<string, string>
  body: string
  /** What the receiver answered; `null` for a request it left hanging. */
  status: number | null
}

export type WebhookReceiver = { url: string; close(): Promise<void> }

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received = new Map<string, ReceivedWebhook[]>()
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.once('end', () => {
      const url = new URL(request.url ?? '/', 'http://receiver')
      if (request.method === 'GET' && url.pathname === '/_received') {
        const tag = url.searchParams.get('tag') ?? ''
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ requests: received.get(tag) ?? [] }))
        return
      }
      const tag = /^\/hooks\/([\w-]+)$/.exec(url.pathname)?.[1]
      if (request.method !== 'POST' || !tag) {
        response.writeHead(404).end()
        return
      }
      const log = received.get(tag) ?? []
      received.set(tag, log)
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)])
      )
      const entry: ReceivedWebhook = {
        at: Date.now(),
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: null,
      }
      log.push(entry)
      const seen = log.length
      const controls = url.searchParams
      const count = (name: string) => Number(controls.get(name) ?? 0)
      if (seen <= count('hang')) return
      if (controls.get('redirect') === '1') {
        entry.status = 302
        response.writeHead(302, { location: `/hooks/${tag}-redirected` }).end()
        return
      }
      const failing = controls.has('fail') ? seen <= count('fail') : controls.has('status')
      if (!failing) {
        entry.status = 200
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
        return
      }
      entry.status = Number(controls.get('status') ?? 500)
      const failureHeaders: Record<string, string> = {}
      const retryAfter = controls.get('retry_after')
      if (retryAfter) failureHeaders['retry-after'] = retryAfter
      if (controls.get('abort') === '1') failureHeaders['webhook-delivery'] = 'abort-message'
      response.writeHead(entry.status, failureHeaders).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address()
  const listening = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${listening}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests would hold the server open.
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
