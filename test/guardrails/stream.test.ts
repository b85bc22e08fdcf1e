import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../src/errors'
import { OutputGuard } from '../../src/guardrails/output'
import { effectiveChecks, type GuardrailPolicyInput } from '../../src/guardrails/settings'
import { Vault } from '../../src/guardrails/vault'
import type { StreamItem } from '../../src/providers/types'

function chunk(content: string | undefined, finish: 'stop' | null = null): StreamItem {
  const value: ChatCompletionChunk = {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  }
  return { kind: 'chunk', chunk: value, raw: JSON.stringify(value) }
}

async function* upstream(pieces: string[]): AsyncGenerator<StreamItem> {
  for (const piece of pieces) yield chunk(piece)
  yield chunk(undefined, 'stop')
}

/** Runs pieces through a guard and returns what the client receives, chunk by chunk. */
async function relayed(guard: OutputGuard, pieces: string[]): Promise<string[]> {
  const out: string[] = []
  for await (const item of guard.stream(upstream(pieces))) {
    if (item.kind === 'chunk') out.push(item.chunk.choices[0]?.delta.content ?? '')
  }
  return out
}

function guardWith(policy: GuardrailPolicyInput, vault = new Vault()): OutputGuard {
  return new OutputGuard(effectiveChecks(policy, undefined), vault)
}

describe('placeholder restoration in streams', () => {
  const vault = new Vault()
  const email = vault.placeholder('email', 'jane@example.com')
  const phone = vault.placeholder('phone', '(415) 555-1234')
  const answer = `Write to ${email} [not one] or ring ${phone}, [EMAIL_9] stays.`
  const expected = 'Write to jane@example.com [not one] or ring (415) 555-1234, [EMAIL_9] stays.'

  it('restores across every split of the answer into two and three chunks', async () => {
    for (let i = 0; i <= answer.length; i++) {
      for (let j = i; j <= answer.length; j++) {
        const pieces = [answer.slice(0, i), answer.slice(i, j), answer.slice(j)]
        const out = await relayed(new OutputGuard([], vault), pieces)
        expect(out.join(''), `split at ${i}, ${j}`).toBe(expected)
      }
    }
  })

  it('restores a stream sent one character at a time, holding back only placeholder prefixes', async () => {
    const out = await relayed(new OutputGuard([], vault), [...answer])
    expect(out.join('')).toBe(expected)
    // Plain text goes out as it comes: the first chunk is 'W', not held.
    expect(out[0]).toBe('W')
  })

  it('passes streams through untouched (raw bytes kept) when there is nothing to do', async () => {
    const items: StreamItem[] = []
    for await (const item of new OutputGuard([], new Vault()).stream(upstream(['a', 'b']))) {
      items.push(item)
    }
    expect(items.every((item) => item.kind === 'chunk' && item.raw !== undefined)).toBe(true)
  })
})

describe('window mode', () => {
  const policy = (action: 'block' | 'redact', window = 16): GuardrailPolicyInput => ({
    checks: [
      {
        name: 'nosecret',
        type: 'deny',
        terms: ['project falcon'],
        side: 'output',
        action,
        window_chars: window,
      },
    ],
  })

  it('holds back no more than the window', async () => {
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789'
    const out = await relayed(guardWith(policy('block', 8)), [...text])
    expect(out.join('')).toBe(text)
    // One character in, one out, from the ninth on; the last eight come with the finish chunk.
    expect(out.length).toBe(text.length - 8 + 1)
    expect(out[0]).toBe('a')
    expect(out.at(-1)).toBe(text.slice(-8))
  })

  it('ends the stream with a guardrail_blocked error when a denied term spans chunks', async () => {
    const guard = guardWith(policy('block'))
    const sent: string[] = []
    const error = await (async () => {
      try {
        for await (const item of guard.stream(
          upstream(['The code name is proj', 'ect fal', 'con, ok.'])
        )) {
          if (item.kind === 'chunk') sent.push(item.chunk.choices[0]?.delta.content ?? '')
        }
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(GatewayError)
    expect(error instanceof GatewayError && error.code).toBe('guardrail_blocked')
    expect(sent.join('')).not.toContain('falcon')
    expect(guard.verdicts()[0]).toMatchObject({ check: 'nosecret', verdict: 'blocked', count: 1 })
  })

  it('redacts a denied term split across chunks before it goes out', async () => {
    const guard = guardWith(policy('redact'))
    const out = await relayed(guard, ['The code name is proj', 'ect fal', 'con, ok.'])
    expect(out.join('')).toBe('The code name is [REDACTED_DENY], ok.')
    expect(guard.altered).toBe(true)
  })

  it('redacts PII the model produced, split across chunks', async () => {
    const guard = guardWith({
      checks: [{ name: 'pii', type: 'pii', side: 'output', action: 'redact' }],
    })
    const out = await relayed(guard, ['Mail jane@exa', 'mple.com now'])
    expect(out.join('')).toBe('Mail [REDACTED_EMAIL] now')
  })

  it('monitor mode adds no delay and still reports', async () => {
    const guard = guardWith({
      checks: [
        { name: 'pii', type: 'pii', side: 'output', action: 'block', stream_mode: 'monitor' },
      ],
    })
    const out = await relayed(guard, ['Mail ', 'jane@example.com', ' now'])
    expect(out.slice(0, 3)).toEqual(['Mail ', 'jane@example.com', ' now'])
    expect(guard.verdicts()[0]).toMatchObject({ verdict: 'flagged', count: 1 })
  })

  it('buffer mode holds everything until the answer ends', async () => {
    const guard = guardWith({
      checks: [{ name: 'd', type: 'deny', terms: ['zzz'], side: 'output', stream_mode: 'buffer' }],
    })
    const out = await relayed(guard, ['one ', 'two ', 'three'])
    expect(out).toEqual(['one two three'])
  })

  it('buffer mode still blocks a denied term spread over chunks, scanning once at the end', async () => {
    const guard = guardWith({
      checks: [{ name: 'd', type: 'deny', terms: ['zzz'], side: 'output', stream_mode: 'buffer' }],
    })
    const sent: string[] = []
    await expect(
      (async () => {
        for await (const item of guard.stream(upstream(['a z', 'z', 'z b']))) {
          if (item.kind === 'chunk') sent.push(item.chunk.choices[0]?.delta.content ?? '')
        }
      })()
    ).rejects.toMatchObject({ code: 'guardrail_blocked' })
    expect(sent.join('')).toBe('')
    expect(guard.verdicts()[0]).toMatchObject({ check: 'd', verdict: 'blocked', count: 1 })
  })
})
