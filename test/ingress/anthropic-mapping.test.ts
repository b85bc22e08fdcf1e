import { describe, expect, it } from 'vitest'
import { toAnthropicMessage } from '../../src/ingress/anthropic/from-chat'
import { toChatCompletion } from '../../src/providers/anthropic/response'

describe('Anthropic answer -> internal form -> Anthropic answer', () => {
  it('gives back the usage Anthropic reported, prompt-cache reads and writes apart', () => {
    const usage = {
      input_tokens: 10,
      output_tokens: 3,
      cache_read_input_tokens: 5,
      cache_creation_input_tokens: 7,
    }
    const content = [
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
    ]
    const { completion } = toChatCompletion({
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      content,
      stop_reason: 'tool_use',
      usage,
    })
    expect(completion.usage?.prompt_tokens).toBe(22)
    expect(toAnthropicMessage(completion, 'claude-sonnet-4-5')).toEqual({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content,
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage,
    })
  })
})
