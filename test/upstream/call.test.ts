import { afterEach, describe, expect, it, vi } from 'vitest'
import { openAICompatible } from '../../src/providers/openai-compatible'
import type { PreparedTarget } from '../../src/routing/prepared-target'
import { callUpstream } from '../../src/upstream/call'

const target: PreparedTarget = {
  provider: 'tenant-proxy',
  model: 'm',
  weight: 1,
  priority: 0,
  timeoutMs: 5_000,
  firstByteTimeoutMs: 5_000,
  retries: 0,
  adapter: openAICompatible({ name: 'tenant-proxy' }),
  credentials: { apiKey: undefined, baseUrl: 'https://allowed.example' },
}

/**
 * An allowed host that answers 307 to loopback. The stub behaves as `fetch` does: it follows the
 * redirect unless told `redirect: 'manual'`, and then the loopback service's answer comes back.
 */
function redirectingUpstream() {
  return vi.spyOn(globalThis, 'fetch').mockImplementation(async (_input, init) => {
    if (init?.redirect === 'manual') {
      return new Response(null, { status: 307, headers: { location: 'http://127.0.0.1:8080/' } })
    }
    return Response.json({ leaked: 'loopback answer' })
  })
}

afterEach(() => vi.restoreAllMocks())

describe('callUpstream', () => {
  it('never follows a redirect: a 3xx is an upstream error, not a second request', async () => {
    const spy = redirectingUpstream()
    const request = new Request('https://allowed.example/v1/chat/completions', { method: 'POST' })
    await expect(callUpstream(request, target, new AbortController().signal)).rejects.toMatchObject(
      { status: 502, code: 'upstream_redirect' }
    )
    expect(spy).toHaveBeenCalledTimes(1)
  })
})
