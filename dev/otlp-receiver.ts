/**
 * A loopback OTLP/HTTP JSON trace receiver for the tests: `POST /v1/traces` keeps each export
 * request as sent, `GET /received` returns them all (the tests pick theirs by request id).
 * `POST /v1/traces?fail=1` answers 503, as a collector that is down would.
 */
import { createServer } from 'node:http'

export type OtlpReceiver = { url: string; close(): Promise<void> }

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: unknown[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.once('end', () => {
      const url = new URL(request.url ?? '/', 'http://receiver')
      if (request.method === 'POST' && url.pathname === '/v1/traces') {
        if (url.searchParams.has('fail')) {
          response.writeHead(503).end()
          return
        }
        try {
          received.push({
            contentType: request.headers['content-type'],
            authorization: request.headers.authorization,
            body: JSON.parse(body) as unknown,
          })
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
        } catch {
          response.writeHead(400).end()
        }
        return
      }
      if (request.method === 'GET' && url.pathname === '/received') {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(received))
        return
      }
      response.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
