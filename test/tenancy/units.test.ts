import { describe, expect, it } from 'vitest'
import { seal, timingSafeEqualText, unseal } from '../../src/lib/crypto'
import { unsafeUpstreamReason } from '../../src/lib/ssrf'
import { formatDuration } from '../../src/limits/headers'
import { costMicroUsd, priceFor } from '../../src/metering/prices'
import { allowsModel, matchesPattern } from '../../src/tenancy/scopes'
import type { ApiKeyContext, TenantContext } from '../../src/tenancy/types'

const KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='
const OTHER_KEY = 'HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='

describe('sealing provider secrets', () => {
  it('round-trips, and fails under another key, another context or tampering', async () => {
    const sealed = await seal('sk-provider-secret', KEY, 'tenant:a:provider:openai')
    expect(sealed).not.toContain('sk-provider-secret')
    expect(await unseal(sealed, KEY, 'tenant:a:provider:openai')).toBe('sk-provider-secret')
    await expect(unseal(sealed, OTHER_KEY, 'tenant:a:provider:openai')).rejects.toThrow()
    await expect(unseal(sealed, KEY, 'tenant:b:provider:openai')).rejects.toThrow()
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`
    await expect(unseal(tampered, KEY, 'tenant:a:provider:openai')).rejects.toThrow()
    expect(await seal('same', KEY, 'x')).not.toBe(await seal('same', KEY, 'x'))
  })

  it('compares secrets of any length', async () => {
    expect(await timingSafeEqualText('abc', 'abc')).toBe(true)
    expect(await timingSafeEqualText('abc', 'abcd')).toBe(false)
    expect(await timingSafeEqualText('', 'a')).toBe(false)
  })
})

describe('SSRF guard', () => {
  const production = { environment: 'production' as const, allowLoopbackUpstreams: false }
  const local = { environment: 'development' as const, allowLoopbackUpstreams: true }
  it.each([
    ['https://api.openai.com/v1', undefined],
    ['https://8.8.8.8/v1', undefined],
    ['http://api.example.com', 'must use https'],
    ['https://127.0.0.1', 'must not point at a loopback address'],
    ['https://2130706433/', 'must not point at a loopback address'],
    ['https://0x7f.1/', 'must not point at a loopback address'],
    ['https://localhost:8443', 'must not point at a loopback address'],
    ['https://[::1]/', 'must not point at a loopback address'],
    ['https://[::ffff:127.0.0.1]/', 'must not point at a loopback address'],
    ['https://10.1.2.3', 'must not point at a private address'],
    ['https://172.16.0.1', 'must not point at a private address'],
    ['https://192.168.0.10', 'must not point at a private address'],
    ['https://100.64.1.1', 'must not point at a private address'],
    ['https://[fd12::1]', 'must not point at a private address'],
    ['https://169.254.10.1', 'must not point at a link-local address'],
    ['https://[fe80::1]', 'must not point at a link-local address'],
    ['https://169.254.169.254/latest', 'must not point at a metadata address'],
    ['https://[fd00:ec2::254]', 'must not point at a metadata address'],
    ['https://metadata.google.internal', 'must not point at a metadata address'],
    ['https://0.0.0.0', 'must not point at a reserved address'],
    ['https://u:p@api.example.com', 'must not carry credentials'],
    ['file:///etc/passwd', 'must use https'],
    ['not a url', 'is not a valid URL'],
  ])('production: %s', (url, reason) => {
    expect(unsafeUpstreamReason(url, production)).toBe(reason)
  })

  it('lets the local stack use loopback over http, and nothing else private', () => {
    expect(unsafeUpstreamReason('http://127.0.0.1:8787/v1', local)).toBeUndefined()
    expect(unsafeUpstreamReason('http://localhost:8787', local)).toBeUndefined()
    expect(unsafeUpstreamReason('http://10.0.0.1', local)).toBe(
      'must not point at a private address'
    )
    expect(unsafeUpstreamReason('http://169.254.169.254', local)).toBe(
      'must not point at a metadata address'
    )
  })
})

describe('model scopes', () => {
  const tenant = (models?: string[]): TenantContext => ({ id: 't', name: 't', config: { models } })
  const key = (models?: string[]): ApiKeyContext => ({
    id: 'k',
    tenantId: 't',
    name: 'k',
    scopes: { models },
  })
  it('matches globs against provider/model and the bare model', () => {
    expect(matchesPattern('gpt-4o*', 'gpt-4o-mini')).toBe(true)
    expect(matchesPattern('gpt-4o*', 'xgpt-4o')).toBe(false)
    expect(matchesPattern('a.b', 'axb')).toBe(false)
    const target = { provider: 'openai', model: 'gpt-4o-mini' }
    expect(allowsModel(tenant(), key(), target)).toBe(true)
    expect(allowsModel(tenant(), key(['gpt-4o*']), target)).toBe(true)
    expect(allowsModel(tenant(), key(['openai/*']), target)).toBe(true)
    expect(allowsModel(tenant(), key(['anthropic/*']), target)).toBe(false)
    expect(allowsModel(tenant(['mock/*']), key(['gpt-4o*']), target)).toBe(false)
    expect(allowsModel(tenant(), key([]), target)).toBe(false)
  })
})

describe('prices', () => {
  it('prefers tenant overrides, then exact names, then the longest glob', () => {
    const plain: TenantContext = { id: 't', name: 't', config: {} }
    expect(priceFor(plain, 'openai/gpt-4o-mini-2024-07-18')).toMatchObject({ input: 0.15 })
    expect(priceFor(plain, 'openai/gpt-4o-2024-08-06')).toMatchObject({ input: 2.5 })
    expect(priceFor(plain, 'unknown/model')).toMatchObject({ input: 0, output: 0 })
    const custom: TenantContext = {
      id: 't',
      name: 't',
      config: { pricing: { 'gpt-4o-mini': { input: 9, output: 9 } } },
    }
    expect(priceFor(custom, 'openai/gpt-4o-mini')).toMatchObject({ input: 9 })
  })

  it('charges cached prompt tokens at the cached price', () => {
    const price = { input: 2, output: 10, cached: 0.5 }
    expect(
      costMicroUsd(price, { promptTokens: 1000, completionTokens: 100, cachedTokens: 400 })
    ).toBe(600 * 2 + 400 * 0.5 + 100 * 10)
  })
})

describe('rate-limit header durations', () => {
  it('formats like OpenAI', () => {
    expect(formatDuration(250)).toBe('250ms')
    expect(formatDuration(1000)).toBe('1s')
    expect(formatDuration(59_500)).toBe('59.5s')
    expect(formatDuration(360_000)).toBe('6m0s')
  })
})
