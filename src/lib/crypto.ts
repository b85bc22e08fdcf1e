/**
 * @module
 * The gateway's few cryptographic needs, all on WebCrypto as workerd provides it: random secrets,
 * SHA-256 digests of API keys (only digests are stored), constant-time comparison, and AES-GCM
 * sealing of tenant provider keys with the `ENCRYPTION_KEY` secret.
 */

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function randomBase64Url(byteLength: number): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(byteLength)))
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** A digest of `text` in hex: SHA-256 unless told (SHA-1 for Redis script digests). */
export async function digestHex(text: string, algorithm: 'SHA-256' | 'SHA-1' = 'SHA-256') {
  return toHex(new Uint8Array(await crypto.subtle.digest(algorithm, encoder.encode(text))))
}

export function sha256Hex(text: string): Promise<string> {
  return digestHex(text)
}

/**
 * Compares digests, not the texts: equal lengths for `timingSafeEqual`, and the time taken says
 * nothing about how much of the secret matched.
 */
export async function timingSafeEqualText(a: string, b: string): Promise<boolean> {
  const [digestA, digestB] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ])
  return crypto.subtle.timingSafeEqual(digestA, digestB)
}

const SEALED_VERSION = 'v1'
const importedKeys = new Map<string, Promise<CryptoKey>>()

function aesKey(base64Key: string): Promise<CryptoKey> {
  let key = importedKeys.get(base64Key)
  if (!key) {
    key = crypto.subtle.importKey('raw', fromBase64(base64Key), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ])
    importedKeys.set(base64Key, key)
  }
  return key
}

/**
 * `context` is bound as additional data: a sealed secret copied to another tenant or provider
 * does not open there.
 */
export async function seal(plaintext: string, base64Key: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
    await aesKey(base64Key),
    encoder.encode(plaintext)
  )
  return [SEALED_VERSION, toBase64Url(iv), toBase64Url(new Uint8Array(ciphertext))].join('.')
}

/** Throws when the sealed text was tampered with, or sealed under another key or context. */
export async function unseal(sealed: string, base64Key: string, context: string): Promise<string> {
  const [version, iv, ciphertext] = sealed.split('.')
  if (version !== SEALED_VERSION || !iv || !ciphertext) throw new Error('Unknown sealed format')
  const plaintext = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64(iv), additionalData: encoder.encode(context) },
    await aesKey(base64Key),
    fromBase64(ciphertext)
  )
  return decoder.decode(plaintext)
}

/** Standard base64, with padding (what Standard Webhooks secrets and signatures use). */
export function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** Accepts standard and URL-safe base64. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'))
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}
