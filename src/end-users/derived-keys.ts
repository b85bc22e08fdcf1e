/**
 * @module
 * Per-tenant secrets derived (HKDF-SHA-256) from the deployment's ENCRYPTION_KEY rather than
 * stored: the client-token signing key of each signing version, and the salt end-user ids are
 * hashed with before they go upstream or into usage. Nothing to read from Redis, so verifying a
 * client token costs no round trip; rotating is bumping a version number in the tenant config.
 * Imported keys are kept for the isolate's life.
 */
import { GatewayError } from '../errors'
import { fromBase64, toBase64Url } from '../lib/crypto'

const encoder = new TextEncoder()
const roots = new Map<string, Promise<CryptoKey>>()
const derived = new Map<string, Promise<CryptoKey>>()
const MAX_DERIVED = 10_000

function root(encryptionKey: string): Promise<CryptoKey> {
  let key = roots.get(encryptionKey)
  if (!key) {
    key = crypto.subtle.importKey('raw', fromBase64(encryptionKey), 'HKDF', false, ['deriveKey'])
    roots.set(encryptionKey, key)
  }
  return key
}

function hmacKey(encryptionKey: string, info: string): Promise<CryptoKey> {
  const id = `${info}\n${encryptionKey}`
  let key = derived.get(id)
  if (!key) {
    // The oldest goes: clearing all would drop the keys every live token is verified with.
    if (derived.size >= MAX_DERIVED) derived.delete(derived.keys().next().value ?? '')
    key = root(encryptionKey).then((base) =>
      crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) },
        base,
        { name: 'HMAC', hash: 'SHA-256', length: 256 },
        false,
        ['sign', 'verify']
      )
    )
    derived.set(id, key)
  }
  return key
}

export function requireRootKey(encryptionKey: string | undefined): string {
  if (encryptionKey) return encryptionKey
  throw new GatewayError(503, 'End-user credentials need the gateway secret ENCRYPTION_KEY.', {
    code: 'end_users_unavailable',
  })
}

export function signingKey(encryptionKey: string, tenantId: string, version: number) {
  return hmacKey(encryptionKey, `gw client token v${version} ${tenantId}`)
}

/** The end user's id as the upstream and the usage report see it: stable per tenant, not reversible. */
export async function hashedUserId(
  encryptionKey: string,
  tenantId: string,
  user: string
): Promise<string> {
  const key = await hmacKey(encryptionKey, `gw end-user salt ${tenantId}`)
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(user))
  return `eu_${toBase64Url(new Uint8Array(mac).slice(0, 16))}`
}
