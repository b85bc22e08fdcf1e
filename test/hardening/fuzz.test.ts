/**
 * The hostile-body corpus of issue 13: valid bodies for every surface that takes JSON (chat,
 * embeddings, documents, search, admin config), mutated by a seeded generator, sent through
 * the real Worker. Any answer is fine except a 5xx, and every refusal is the OpenAI envelope.
 * Deterministic: a failure names the case, and the same seed rebuilds it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { gatewayFetch, type TestTenant } from '../helpers/gateway'
import { TEST_ADMIN_TOKEN, tenantWithKey } from '../tenancy/fixtures'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const SEED = 0x13_2026
const CONCURRENCY = 8

/** mulberry32: small, fast and good enough to spread mutations evenly. */
function rng(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (max: number) => Math.floor(next() * max)
  function pick<T>(items: readonly T[]): T {
    const item = items[int(items.length)]
    if (item === undefined) throw new Error('pick() from an empty list')
    return item
  }
  return { next, int, pick, chance: (p: number) => next() < p }
}
type Rng = ReturnType<typeof rng>

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b\r\nx-injected: 1',
  '\u0001\u001f\u007f\u0085\u2028\u2029',
  '\ud800',
  '\udfff\ud800',
  '\u202egnp.exe',
  '💥'.repeat(64),
  'ｍｏｃｋ／ｆｕｚｚ',
  'e\u0301\u0301\u0301\u0301',
  '<script>alert(1)</script>',
  '{"model":"mock/x"}',
  '../../../../etc/passwd',
  'gw:secret:*',
  '*',
  '*'.repeat(200),
  '%00%0d%0a',
  'null',
  'NaN',
  '-Infinity',
  '1e999',
  // Not `:status=500`: that makes the mock upstream fail, and a 502 is then the right answer.
  'mock/fuzz:hang=maybe',
  'mock/',
  '/',
]

const NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1,
  1.5,
  -1e308,
  1e308,
  5e-324,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64,
  -(2 ** 63),
  4_294_967_297,
  0.1 + 0.2,
]

function nested(depth: number, leaf: Json, rand: Rng): Json {
  let value = leaf
  for (let i = 0; i < depth; i++) value = rand.chance(0.5) ? [value] : { a: value }
  return value
}

function hostileValue(rand: Rng): Json {
  switch (rand.int(9)) {
    case 0:
      return rand.pick(STRINGS)
    case 1:
      return rand.pick(NUMBERS)
    case 2:
      return rand.pick([null, true, false])
    case 3:
      return rand.pick<Json>([[], {}, [null], [[]], { '': null }])
    case 4:
      // Large, not past the body limit: the limit has its own cases below.
      return rand
        .pick(STRINGS)
        .padEnd(20_000 + rand.int(200_000), rand.pick(['x', 'é', '\u0000', ' ']))
    case 5:
      // Past the depth limit too: 3,000 levels overflowed the cache key's canonical JSON.
      return nested(rand.pick([2, 10, 60, 70, 3_000]), rand.pick(STRINGS), rand)
    case 6:
      return Array.from({ length: rand.pick([10, 1_000, 5_000]) }, () => rand.pick(NUMBERS))
    case 7:
      return Object.fromEntries(
        Array.from({ length: rand.pick([5, 500]) }, (_, i) => [
          `${rand.pick(STRINGS).slice(0, 8)}${i}`,
          rand.pick(NUMBERS),
        ])
      )
    default:
      // An own `__proto__` key, as JSON.parse makes one: an object literal would set the prototype.
      return JSON.parse(
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"admin":true}}}'
      )
  }
}

/** One mutation somewhere in `value`: replaced, removed, or given a sibling it did not expect. */
function mutate(value: Json, rand: Rng): Json {
  if (isObject(value)) {
    const keys = Object.keys(value)
    const roll = rand.next()
    if (keys.length > 0 && roll < 0.6) {
      const key = rand.pick(keys)
      return { ...value, [key]: mutate(value[key] ?? null, rand) }
    }
    if (keys.length > 0 && roll < 0.75) {
      const { [rand.pick(keys)]: _removed, ...rest } = value
      return rest
    }
    if (roll < 0.9)
      return {
        ...value,
        [rand.pick(['extra', 'model ', '__proto__', 'x'.repeat(300)])]: hostileValue(rand),
      }
    return hostileValue(rand)
  }
  if (Array.isArray(value) && value.length > 0 && rand.chance(0.7)) {
    const copy = [...value]
    const at = rand.int(copy.length)
    copy[at] = mutate(copy[at] ?? null, rand)
    return rand.chance(0.2) ? [...copy, hostileValue(rand)] : copy
  }
  if (typeof value === 'string' && rand.chance(0.5)) {
    // Inside the valid text, so the mutated value still routes (`mock/fu\u0000zz`) and gets far.
    const at = rand.int(value.length + 1)
    return `${value.slice(0, at)}${rand.pick(STRINGS).slice(0, 64)}${value.slice(at)}`
  }
  return hostileValue(rand)
}

/** Mutations JSON.stringify cannot write: broken syntax, out-of-range literals, odd encodings. */
function mutateText(text: string, rand: Rng): string {
  switch (rand.int(6)) {
    case 0:
      return text.slice(0, rand.int(text.length))
    case 1:
      return text.replace(
        /\d+(?:\.\d+)?/,
        rand.pick(['1e999', '-1e999', '1e-999', '-0', '01', 'NaN', '0x10', '1_000'])
      )
    case 2:
      return `${'['.repeat(5_000)}${text}${']'.repeat(5_000)}`
    case 3:
      return text.replace(/"/, '"\u0000')
    case 4:
      return `\ufeff${text}`
    default:
      return `${text}${rand.pick(['', ',', '}', 'garbage', '\u0000'])}`
  }
}

type Case = { label: string; method: string; path: string; auth: string; body: string }

type Surface = {
  name: string
  count: number
  method: string
  path: () => string
  auth: () => string
  bodies: readonly JsonObject[]
}

function corpus(surfaces: Surface[], rand: Rng): Case[] {
  const cases: Case[] = []
  for (const surface of surfaces) {
    for (let i = 0; i < surface.count; i++) {
      let body: Json = rand.pick(surface.bodies)
      // Mostly one mutation, so most bodies stay close enough to valid to get past the schema.
      for (let n = rand.chance(0.6) ? 1 : 2 + rand.int(2); n > 0; n--) body = mutate(body, rand)
      let text = JSON.stringify(body)
      if (rand.chance(0.15)) text = mutateText(text, rand)
      // A few past the 1 MB body limit, which must be a 413, not a crash.
      if (rand.chance(0.01)) text = text.padEnd(1_100_000, ' ')
      cases.push({
        label: `${surface.name} #${i}`,
        method: surface.method,
        path: surface.path(),
        auth: surface.auth(),
        body: text,
      })
    }
  }
  return cases
}

async function send(item: Case): Promise<{ item: Case; status: number; text: string }> {
  const response = await gatewayFetch(`http://gateway${item.path}`, {
    method: item.method,
    headers: { authorization: `Bearer ${item.auth}`, 'content-type': 'application/json' },
    body: item.body,
  })
  return { item, status: response.status, text: await response.text() }
}

let tenant: TestTenant
let tenantId = ''
let collection = ''

beforeAll(async () => {
  tenant = await tenantWithKey({ cache: { enabled: true } })
  tenantId = tenant.tenantId
  collection = `fuzz-${crypto.randomUUID().slice(0, 8)}`
  const created = await gatewayFetch('http://gateway/v1/collections', {
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: collection }),
  })
  expect(created.status).toBe(201)
})

const user = { role: 'user', content: 'Say something short.' }

function surfaces(): Surface[] {
  const asTenant = () => tenant.secret
  const asAdmin = () => TEST_ADMIN_TOKEN
  const validConfig: JsonObject = {
    models: ['mock/*', 'gpt-4o*'],
    limits: { requests_per_minute: 100, tokens_per_minute: 100_000, max_concurrent: 5 },
    budget: { monthly_hard_usd: 10, monthly_soft_usd: 5 },
    fail_mode: 'open',
    pricing: { 'mock/*': { input: 1, output: 2, cached: 0.5 } },
    allow_deployment_keys: true,
    default_max_output_tokens: 256,
    cache: { enabled: true, ttl_seconds: 60, semantic: { enabled: false, threshold: 0.9 } },
    retrieval: { collection: 'docs', top_k: 3, max_context_tokens: 500 },
    providers: { openai: { api_key: 'sk-test', base_url: 'https://api.openai.com/v1' } },
  }
  return [
    {
      name: 'chat',
      count: 240,
      method: 'POST',
      path: () => '/v1/chat/completions',
      auth: asTenant,
      bodies: [
        { model: 'mock/fuzz:tokens=3', messages: [user], max_tokens: 8 },
        {
          model: 'mock/fuzz:tokens=3',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
              ],
            },
            { role: 'tool', content: 'ok', tool_call_id: 'c1' },
          ],
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
          tool_choice: 'auto',
          temperature: 0,
          stop: ['\n'],
          logit_bias: { '50256': -100 },
          user: 'u1',
        },
        {
          model: 'mock/fuzz:tokens=3',
          messages: [user],
          stream: true,
          stream_options: { include_usage: true },
          n: 2,
        },
        {
          model: 'mock/fuzz:tokens=3',
          messages: [user],
          response_format: { type: 'json_object' },
          seed: 7,
        },
        {
          model: 'mock/fuzz:tokens=3',
          messages: [user],
          retrieval: { collection, top_k: 2, filter: "title = 'x'" },
        },
      ],
    },
    {
      name: 'embeddings',
      count: 120,
      method: 'POST',
      path: () => '/v1/embeddings',
      auth: asTenant,
      bodies: [
        { model: 'mock-embed', input: 'hello' },
        { model: 'mock-embed', input: ['a', 'b'], encoding_format: 'float', dimensions: 8 },
        { model: 'mock-embed', input: [[1, 2, 3]], user: 'u' },
      ],
    },
    {
      name: 'documents',
      count: 140,
      method: 'POST',
      path: () => `/v1/collections/${collection}/documents`,
      auth: asTenant,
      bodies: [
        {
          id: 'doc-1',
          text: 'Apples are red. Pears are green.',
          title: 'Fruit',
          metadata: { tag: 'a', n: 1 },
        },
        {
          documents: [
            { markdown: '# Title\n\nBody text.' },
            { html: '<p>Hello <b>world</b></p>', url: 'https://example.com' },
          ],
        },
      ],
    },
    {
      name: 'search',
      count: 140,
      method: 'POST',
      path: () => `/v1/collections/${collection}/search`,
      auth: asTenant,
      bodies: [
        { query: 'apples', top_k: 3 },
        { query: 'fruit', top_k: 5, filter: "tag = 'a' AND n > 0", include_text: true },
      ],
    },
    {
      name: 'admin: create tenant',
      count: 80,
      method: 'POST',
      path: () => '/admin/tenants',
      auth: asAdmin,
      bodies: [{ name: 'fuzz', config: validConfig }, { name: 'fuzz' }],
    },
    {
      name: 'admin: patch tenant',
      count: 60,
      method: 'PATCH',
      path: () => `/admin/tenants/${tenantId}`,
      auth: asAdmin,
      // Never the fuzz tenant's own limits: a mutation that admits nothing would hide the rest.
      bodies: [
        { name: 'fuzz tenant' },
        { config: { cache: { enabled: true, max_temperature: 1 } } },
      ],
    },
    {
      name: 'admin: create key',
      count: 60,
      method: 'POST',
      path: () => `/admin/tenants/${tenantId}/keys`,
      auth: asAdmin,
      bodies: [
        {
          name: 'k',
          scopes: { models: ['mock/*'], endpoints: ['/v1/*'] },
          expires_at: '2099-01-01T00:00:00Z',
          requests_per_minute: 10,
          budget: { monthly_hard_usd: 1 },
        },
      ],
    },
  ]
}

function isEnvelope(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text)
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      'error' in parsed &&
      typeof parsed.error === 'object' &&
      parsed.error !== null &&
      'message' in parsed.error
    )
  } catch {
    return false
  }
}

async function runAll(cases: Case[]) {
  const results: Array<Awaited<ReturnType<typeof send>>> = []
  let next = 0
  const worker = async () => {
    for (let at = next++; at < cases.length; at = next++) {
      const item = cases[at]
      if (item) results.push(await send(item))
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return results
}

describe('hostile bodies', () => {
  it('never get a 5xx, and every refusal is the OpenAI error envelope', {
    timeout: 60_000,
  }, async () => {
    const cases = corpus(surfaces(), rng(SEED))
    expect(cases.length).toBeGreaterThanOrEqual(800)
    const results = await runAll(cases)
    const serverErrors = results
      .filter((result) => result.status >= 500)
      .map(({ item, status, text }) => ({
        case: item.label,
        status,
        answer: text.slice(0, 300),
        body: item.body.slice(0, 300),
      }))
    expect(serverErrors).toEqual([])
    const badEnvelopes = results
      .filter((result) => result.status >= 400)
      .filter(({ text }) => !isEnvelope(text))
      .map(({ item, status }) => `${item.label}: ${status}`)
    expect(badEnvelopes).toEqual([])
    // The corpus must exercise both sides: refusals and answers.
    expect(results.filter((result) => result.status < 300).length).toBeGreaterThan(50)
    expect(results.filter((result) => result.status === 400).length).toBeGreaterThan(300)
  })
})
