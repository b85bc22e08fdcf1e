/**
 * The HTTP face of the stand-in: method and auth checks, route choice, and JSON responses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { presentedToken, type TokenRegistry } from './auth.ts'
import { streamSubscription, subscriptionFor } from './pubsub.ts'
import {
  commandFromPath,
  parseJson,
  pathSegments,
  RequestError,
  readBody,
  toCommand,
  toCommandList,
} from './request-body.ts'
import type { Access, CommandRunner, Outcome } from './runner.ts'

const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT'])
const UNAUTHORIZED = 'WRONGPASS invalid or missing auth token'

export function createRequestHandler(
  tokens: TokenRegistry<Access>,
  runner: CommandRunner
): (request: IncomingMessage, response: ServerResponse) => void {
  // Echoed as `upstash-sync-token`; one node is always consistent with itself, so any
  // increasing value honours the read-your-writes contract the client expects.
  let syncToken = 0
  return (request, response) => {
    handle(request, response, tokens, runner).then(
      (outcome) => outcome && send(response, outcome, String(++syncToken)),
      (error: unknown) => send(response, failure(error))
    )
  }
}

/** Resolves with the JSON outcome to send, or undefined once it has streamed the answer itself. */
async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  tokens: TokenRegistry<Access>,
  runner: CommandRunner
): Promise<Outcome | undefined> {
  const method = request.method ?? 'GET'
  if (!ALLOWED_METHODS.has(method)) {
    return { status: 405, body: { error: `ERR method ${method} is not allowed` } }
  }
  const [path = '/', search = ''] = (request.url ?? '/').split('?', 2)
  const query = new URLSearchParams(search)
  const access = tokens.grantFor(presentedToken(request.headers.authorization, query))
  if (!access) {
    return { status: 401, body: { error: UNAUTHORIZED } }
  }
  const responseFormat = singleHeader(request, 'upstash-response-format')
  if (responseFormat !== undefined && responseFormat.toLowerCase() !== 'json') {
    throw new RequestError(400, `ERR unsupported Upstash-Response-Format: ${responseFormat}`)
  }
  const subscription = subscriptionFor(pathSegments(path))
  if (subscription) {
    // Pub/sub messages travel as plain text whatever Upstash-Encoding says: the client's
    // Subscriber never base64-decodes them.
    await streamSubscription(request, response, access.database, subscription)
    return undefined
  }
  const base64 = singleHeader(request, 'upstash-encoding')?.toLowerCase() === 'base64'
  const body = await readBody(request)
  switch (path) {
    case '/pipeline':
      return runner.pipeline(access, toCommandList(parseJson(body)), base64)
    case '/multi-exec':
      return runner.transaction(access, toCommandList(parseJson(body)), base64)
    case '/':
      if (method === 'POST' || method === 'PUT') {
        return runner.single(access, toCommand(parseJson(body)), base64)
      }
      throw new RequestError(
        400,
        'ERR no command given: POST a JSON array or use /<command>/<args>'
      )
    default:
      return runner.single(access, commandFromPath(path, query, body), base64)
  }
}

function singleHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

function failure(error: unknown): Outcome {
  if (error instanceof RequestError) return { status: error.status, body: { error: error.message } }
  const reason = error instanceof Error ? error.message : String(error)
  return { status: 500, body: { error: `ERR the Redis REST stand-in failed: ${reason}` } }
}

function send(response: ServerResponse, outcome: Outcome, syncToken?: string): void {
  const payload = JSON.stringify(outcome.body)
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  }
  if (syncToken) headers['upstash-sync-token'] = syncToken
  response.writeHead(outcome.status, headers).end(payload)
}
