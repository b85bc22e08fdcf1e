import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions'
import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../src/errors'
import { guardInput } from '../../src/guardrails/input'
import { OutputGuard } from '../../src/guardrails/output'
import { effectiveChecks, type GuardrailPolicyInput } from '../../src/guardrails/settings'
import { Vault } from '../../src/guardrails/vault'
import type { ChatRequest } from '../../src/openai/chat-request'
import type { StreamItem } from '../../src/providers/types'

type Delta = ChatCompletionChunk.Choice.Delta

function chunk(delta: Delta, finish: 'stop' | 'tool_calls' | null = null): StreamItem {
  const value: ChatCompletionChunk = {
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  }
  return { kind: 'chunk', chunk: value, raw: JSON.stringify(value) }
}

/** A streamed tool call as OpenAI sends it: id and name first, then argument pieces. */
function* callChunks(index: number, name: string, pieces: string[]): Generator<StreamItem> {
  yield chunk({
    tool_calls: [
      { index, id: `call_${index}`, type: 'function', function: { name, arguments: '' } },
    ],
  })
  for (const piece of pieces)
    yield chunk({ tool_calls: [{ index, function: { arguments: piece } }] })
}

async function* items(...parts: Iterable<StreamItem>[]): AsyncGenerator<StreamItem> {
  for (const part of parts) yield* part
  yield chunk({}, 'tool_calls')
}

/** What the client receives: every delta in order, as (channel, text) pairs, and the totals. */
async function received(guard: OutputGuard, stream: AsyncIterable<StreamItem>) {
  const deltas: string[] = []
  const calls = new Map<number, string>()
  let content = ''
  for await (const item of guard.stream(stream)) {
    if (item.kind !== 'chunk') continue
    const delta = item.chunk.choices[0]?.delta
    if (delta?.content) {
      content += delta.content
      deltas.push(`content:${delta.content}`)
    }
    for (const call of delta?.tool_calls ?? []) {
      const piece = call.function?.arguments ?? ''
      calls.set(call.index, (calls.get(call.index) ?? '') + piece)
      if (piece) deltas.push(`call${call.index}:${piece}`)
    }
  }
  return { deltas, calls, content }
}

function guardWith(policy: GuardrailPolicyInput, vault = new Vault()): OutputGuard {
  return new OutputGuard(effectiveChecks(policy, undefined), vault)
}

const piiOut = (action: 'block' | 'redact' | 'monitor', mode: 'window' | 'monitor' = 'window') =>
  guardWith({
    checks: [
      { name: 'pii', type: 'pii', side: 'output', action, stream_mode: mode, window_chars: 16 },
    ],
  })

async function thrown(work: Promise<unknown>): Promise<unknown> {
  try {
    await work
  } catch (error) {
    return error
  }
  return undefined
}

describe('streamed tool-call arguments', () => {
  it('restores a placeholder split across argument chunks, JSON-escaped so the arguments parse', async () => {
    const vault = new Vault()
    const email = vault.placeholder('email', 'jane@example.com')
    const odd = vault.placeholder('secret', 'a "quoted"\nvalue')
    const args = JSON.stringify({ to: email, note: `key ${odd}` })
    for (let cut = 1; cut < args.length; cut++) {
      const out = await received(
        new OutputGuard([], vault),
        items(callChunks(0, 'send', [args.slice(0, cut), args.slice(cut)]))
      )
      expect(JSON.parse(out.calls.get(0) ?? ''), `split at ${cut}`).toEqual({
        to: 'jane@example.com',
        note: 'key a "quoted"\nvalue',
      })
    }
  })

  it('ends the stream with guardrail_blocked when the arguments turn to PII, before it is sent', async () => {
    const guard = piiOut('block')
    const sent: string[] = []
    const error = await thrown(
      (async () => {
        const stream = items(
          callChunks(0, 'send', [
            '{"body":"a long enough opening here", ',
            '"to":"jane@exa',
            'mple.com"}',
          ])
        )
        for await (const item of guard.stream(stream)) {
          if (item.kind === 'chunk') {
            sent.push(item.chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '')
          }
        }
      })()
    )
    expect(error instanceof GatewayError && error.code).toBe('guardrail_blocked')
    expect(sent.join('')).not.toContain('jane@')
    expect(guard.verdicts()[0]).toMatchObject({ check: 'pii', verdict: 'blocked' })
  })

  it('redacts PII the model put in the arguments, keeping them valid JSON', async () => {
    const out = await received(
      piiOut('redact'),
      items(callChunks(0, 'send', ['{"to":"jane@exa', 'mple.com","n":1}']))
    )
    expect(JSON.parse(out.calls.get(0) ?? '')).toEqual({ to: '[REDACTED_EMAIL]', n: 1 })
  })

  it('monitor mode holds nothing back and still flags the arguments', async () => {
    const guard = piiOut('block', 'monitor')
    const pieces = ['{"to":', '"jane@example.com"}']
    const out = await received(guard, items(callChunks(0, 'send', pieces)))
    expect(out.deltas).toEqual(pieces.map((piece) => `call0:${piece}`))
    expect(guard.verdicts()[0]).toMatchObject({ verdict: 'flagged', count: 1 })
  })

  it('sends held text before the first call, and each call whole before the next', async () => {
    const guard = guardWith({
      checks: [{ name: 'd', type: 'deny', terms: ['zzz'], side: 'output', window_chars: 64 }],
    })
    const out = await received(
      guard,
      items(
        [chunk({ content: 'Let me look.' })],
        callChunks(0, 'first', ['{"a":', '1}']),
        callChunks(1, 'second', ['{"b":', '2}'])
      )
    )
    expect(out.deltas).toEqual(['content:Let me look.', 'call0:{"a":1}', 'call1:{"b":2}'])
  })
})

describe('non-streamed tool calls', () => {
  const completion = (args: string): ChatCompletion => ({
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        logprobs: null,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'send', arguments: args } },
          ],
        },
      },
    ],
  })
  const argsOf = (answer: ChatCompletion) => {
    const call = answer.choices[0]?.message.tool_calls?.[0]
    return call?.type === 'function' ? call.function.arguments : undefined
  }

  it('restores placeholders in the arguments', () => {
    const vault = new Vault()
    const email = vault.placeholder('email', 'jane@example.com')
    const answer = new OutputGuard([], vault).completion(completion(`{"to":"${email}"}`))
    expect(argsOf(answer)).toBe('{"to":"jane@example.com"}')
    expect(answer.choices[0]?.message.content).toBeNull()
  })

  it('refuses an answer whose arguments hold PII with a 422', () => {
    const error = (() => {
      try {
        piiOut('block').completion(completion('{"to":"jane@example.com"}'))
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error instanceof GatewayError && error.status).toBe(422)
  })

  it('leaves an answer with nothing to change as it was', () => {
    const original = completion('{"n":1}')
    expect(piiOut('redact').completion(original).choices[0]).toBe(original.choices[0])
  })
})

describe('tool calls and results sent by the client', () => {
  const request: ChatRequest = {
    model: 'm',
    messages: [
      { role: 'user', content: 'Mail Jane' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: {
              name: 'lookup',
              arguments: '{"who":"jane@example.com","card":4111111111111111}',
            },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'Her phone is (415) 555-1234' },
      { role: 'user', content: 'Now mail jane@example.com' },
    ],
  }
  const checks = effectiveChecks(
    { checks: [{ name: 'pii', type: 'pii', action: 'redact' }] },
    undefined
  )

  it('redacts their values to the same placeholders, keeping the arguments valid JSON', () => {
    const vault = new Vault()
    const guarded = guardInput({ checks, vault, moderate: undefined, clock: () => 0 }, request)
    const [, assistant, tool, last] = guarded.request.messages
    const call = assistant?.role === 'assistant' ? assistant.tool_calls?.[0] : undefined
    expect(JSON.parse(call?.function.arguments ?? '')).toEqual({
      who: '[EMAIL_1]',
      card: '[CARD_1]',
    })
    expect(tool?.content).toBe('Her phone is [PHONE_1]')
    expect(last?.content).toBe('Now mail [EMAIL_1]')
    expect(guarded.verdicts[0]).toMatchObject({ verdict: 'redacted', count: 4 })
    expect(vault.restore('[CARD_1]')).toBe('4111111111111111')
  })

  it('refuses them when the check blocks', () => {
    const blocking = effectiveChecks({ checks: [{ name: 'pii', type: 'pii' }] }, undefined)
    const onlyArgs: ChatRequest = { ...request, messages: request.messages.slice(0, 2) }
    expect(() =>
      guardInput(
        { checks: blocking, vault: new Vault(), moderate: undefined, clock: () => 0 },
        onlyArgs
      )
    ).toThrow(GatewayError)
  })
})
