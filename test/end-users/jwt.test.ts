import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { admin, failure, tenantWithKey } from '../tenancy/fixtures'
import { APP_ORIGIN, endUserChat, mintToken, patchEndUsers } from './fixtures'

const ISSUER = 'https://idp.example.com/'
const AUDIENCE = 'my-app'
const KID = 'key-1'

type Keys = { privateKey: CryptoKey; publicJwk: JWK }

async function rsaKeys(kid: string): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256' } }
}

/** A token from the local identity provider; `claims` override the valid defaults. */
function sign(keys: Keys, claims: JWTPayload = {}, kid = KID): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    sub: 'alice',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(keys.privateKey)
}

function b64url(text: string): string {
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

describe('tenant JWTs and hostile tokens', () => {
  let keys: Keys
  let tenantId: string
  const jwtHeaders = () => ({ origin: APP_ORIGIN, 'x-gateway-tenant': tenantId })

  beforeAll(async () => {
    keys = await rsaKeys(KID)
    const made = await tenantWithKey({})
    tenantId = made.tenantId
    await patchEndUsers(tenantId, {
      cors_origins: [APP_ORIGIN],
      jwt: {
        jwks: { keys: [keys.publicJwk] },
        issuer: ISSUER,
        audience: AUDIENCE,
        key_id: made.keyId,
        models_claim: 'models',
      },
    })
  })

  it('accepts a valid RS256 token from the tenant identity provider', async () => {
    const response = await endUserChat(await sign(keys), jwtHeaders())
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
    await response.json()
  })

  it('narrows models by the models claim', async () => {
    const token = await sign(keys, { models: ['other-*'] })
    expect((await failure(await endUserChat(token, jwtHeaders()))).status).toBe(404)
  })

  it('needs the tenant header', async () => {
    expect(
      await failure(await endUserChat(await sign(keys), { origin: APP_ORIGIN }))
    ).toMatchObject({ status: 401, code: 'missing_tenant' })
  })

  const hostile: Array<[string, () => Promise<string>, string]> = [
    [
      'tampered payload',
      async () => {
        const [header, , signature] = (await sign(keys)).split('.')
        return `${header}.${b64url(JSON.stringify({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: 9e9 }))}.${signature}`
      },
      'invalid_token_signature',
    ],
    [
      'tampered signature',
      async () => {
        const token = await sign(keys)
        const last = token.at(-2) === 'A' ? 'B' : 'A'
        return `${token.slice(0, -2)}${last}${token.at(-1)}`
      },
      'invalid_token_signature',
    ],
    [
      'alg none',
      async () =>
        `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: 9e9 }))}.`,
      'token_algorithm_not_allowed',
    ],
    [
      'HS256 signed with the RSA public key as the secret',
      () =>
        new SignJWT({ sub: 'alice' })
          .setProtectedHeader({ alg: 'HS256', kid: KID })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(JSON.stringify(keys.publicJwk))),
      'token_algorithm_not_allowed',
    ],
    ['expired', () => sign(keys, { exp: Math.floor(Date.now() / 1000) - 60 }), 'token_expired'],
    [
      'not yet valid',
      () => sign(keys, { nbf: Math.floor(Date.now() / 1000) + 600 }),
      'invalid_token_nbf',
    ],
    ['wrong issuer', () => sign(keys, { iss: 'https://evil.example/' }), 'invalid_token_iss'],
    ['wrong audience', () => sign(keys, { aud: 'other-app' }), 'invalid_token_aud'],
    ['unknown kid', async () => sign(await rsaKeys('key-2'), {}, 'key-2'), 'unknown_signing_key'],
  ]

  for (const [name, make, code] of hostile) {
    it(`refuses ${name} with 401 ${code}`, async () => {
      expect(await failure(await endUserChat(await make(), jwtHeaders()))).toMatchObject({
        status: 401,
        code,
      })
    })
  }

  it("refuses tenant A's client token presented with tenant B's origin", async () => {
    const a = await tenantWithKey({ end_users: { cors_origins: ['https://a.example'] } })
    await tenantWithKey({ end_users: { cors_origins: ['https://b.example'] } })
    const { token } = await mintToken(a.secret, { user: 'u', ttl_seconds: 60 })
    expect(await failure(await endUserChat(token, { origin: 'https://b.example' }))).toMatchObject({
      status: 401,
      code: 'origin_not_allowed',
    })
  })

  it('refuses a client token whose expiry was pushed back', async () => {
    const a = await tenantWithKey({ end_users: { cors_origins: [APP_ORIGIN] } })
    const { token } = await mintToken(a.secret, { user: 'u', ttl_seconds: 10 })
    const [payload, signature] = token.slice('gwct_'.length).split('.')
    const claims = JSON.parse(atob((payload ?? '').replaceAll('-', '+').replaceAll('_', '/')))
    const extended = `gwct_${b64url(JSON.stringify({ ...claims, exp: claims.exp + 3_600_000 }))}.${signature}`
    expect(await failure(await endUserChat(extended))).toMatchObject({
      status: 401,
      code: 'invalid_client_token',
    })
  })
})

describe('the JWKS URL', () => {
  it('passes the SSRF guard when set', async () => {
    const { tenantId, keyId } = await tenantWithKey({})
    const response = await admin(`/admin/tenants/${tenantId}`, 'PATCH', {
      config: {
        end_users: {
          jwt: {
            jwks_url: 'http://169.254.169.254/latest/meta-data',
            issuer: ISSUER,
            audience: AUDIENCE,
            key_id: keyId,
          },
        },
      },
    })
    expect(await failure(response)).toMatchObject({
      status: 400,
      code: 'unsafe_upstream_url',
      param: 'config.end_users.jwt.jwks_url',
    })
  })
})
