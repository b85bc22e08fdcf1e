/**
 * The comparison Worker: relays every request unchanged to UPSTREAM_URL and the response back,
 * body streamed. Whatever it costs is what the runtime itself adds, so the gateway's own share is
 * the gateway's overhead minus this one's.
 */
type TrivialEnv = { UPSTREAM_URL: string }

export default {
  fetch(request: Request, env: TrivialEnv): Promise<Response> {
    const incoming = new URL(request.url)
    return fetch(new Request(`${env.UPSTREAM_URL}${incoming.pathname}${incoming.search}`, request))
  },
}
