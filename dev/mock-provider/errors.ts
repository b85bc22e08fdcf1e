/** Error bodies in each provider's own envelope, so gateway error mapping meets the real shapes. */

export type Dialect = 'openai' | 'anthropic'

export function errorBody(dialect: Dialect, status: number, message: string, param?: string) {
  if (dialect === 'anthropic') {
    return { type: 'error', error: { type: anthropicType(status), message } }
  }
  const rateLimited = status === 429
  return {
    error: {
      message,
      type: rateLimited ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error',
      param: param ?? null,
      code: rateLimited ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : null,
    },
  }
}

function anthropicType(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 413) return 'request_too_large'
  if (status === 429) return 'rate_limit_error'
  if (status === 503 || status === 529) return 'overloaded_error'
  return status >= 500 ? 'api_error' : 'invalid_request_error'
}

/** The message a real provider would send for a status the `status`/`fail` controls inject. */
export function injectedMessage(status: number): string {
  if (status === 429) return 'Rate limit reached (injected by the mock provider).'
  if (status === 503 || status === 529) return 'Overloaded (injected by the mock provider).'
  if (status >= 500) return 'The server had an error (injected by the mock provider).'
  return `Request failed with status ${status} (injected by the mock provider).`
}
