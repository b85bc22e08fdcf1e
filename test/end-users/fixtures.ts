import { adminJson, gateway, type Json, withKey } from '../tenancy/fixtures'

export const APP_ORIGIN = 'https://app.example.com'

/** What the tenant's backend does: mint a client token with its secret key. */
export async function mintToken(
  secret: string,
  body: Json
): Promise<{ token: string; expires_at: number }> {
  const response = await gateway(
    '/v1/client_tokens',
    withKey(secret, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  )
  const json = await response.json()
  if (response.status !== 200) throw new Error(`mint: ${response.status} ${JSON.stringify(json)}`)
  return json as { token: string; expires_at: number }
}

export async function patchEndUsers(tenantId: string, endUsers: Json): Promise<void> {
  await adminJson(`/admin/tenants/${tenantId}`, 'PATCH', { config: { end_users: endUsers } }, 200)
}

/** A chat completion with a bearer credential (and by default the app's origin). */
export function endUserChat(
  credential: string,
  headers: Record<string, string> = { origin: APP_ORIGIN },
  body: Json = {}
): Promise<Response> {
  return gateway('/v1/chat/completions', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${credential}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify({
      model: 'mock-gpt',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Say something short.' }],
      ...body,
    }),
  })
}
