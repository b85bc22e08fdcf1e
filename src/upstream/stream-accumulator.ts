import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions'

type ToolCallDraft = { id: string; name: string; arguments: string }
type ChoiceDraft = {
  content: string
  toolCalls: ToolCallDraft[]
  finishReason: ChatCompletion.Choice['finish_reason'] | null
}

/**
 * Reassembles a streamed answer into the completion a non-streamed request would have returned:
 * what the cache stores and what usage is estimated from when an upstream reports none.
 */
export class StreamAccumulator {
  private readonly choices = new Map<number, ChoiceDraft>()
  private id = ''
  private model = ''
  private created = 0
  private systemFingerprint: string | null | undefined

  add(chunk: ChatCompletionChunk): void {
    this.id ||= chunk.id
    this.model ||= chunk.model
    this.created ||= chunk.created
    this.systemFingerprint ??= chunk.system_fingerprint
    for (const choice of chunk.choices ?? []) {
      const draft = this.draft(choice.index)
      const delta = choice.delta ?? {}
      if (typeof delta.content === 'string') draft.content += delta.content
      for (const call of delta.tool_calls ?? []) {
        const tool = draft.toolCalls[call.index] ?? { id: '', name: '', arguments: '' }
        draft.toolCalls[call.index] = tool
        if (call.id) tool.id = call.id
        if (call.function?.name) tool.name += call.function.name
        if (call.function?.arguments) tool.arguments += call.function.arguments
      }
      if (choice.finish_reason) draft.finishReason = choice.finish_reason
    }
  }

  /** The text generated so far, for estimating completion tokens. */
  generatedText(): string {
    let text = ''
    for (const draft of this.choices.values()) {
      text += draft.content
      for (const tool of draft.toolCalls) text += tool.name + tool.arguments
    }
    return text
  }

  /** Complete when every choice has a finish reason: a cut stream never counts as an answer. */
  isComplete(): boolean {
    return (
      this.choices.size > 0 &&
      [...this.choices.values()].every((draft) => draft.finishReason !== null)
    )
  }

  hasToolCalls(): boolean {
    return [...this.choices.values()].some((draft) => draft.toolCalls.length > 0)
  }

  identity(): { id: string; model: string; created: number } {
    return { id: this.id, model: this.model, created: this.created }
  }

  toCompletion(): ChatCompletion {
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(
        ([index, draft]): ChatCompletion.Choice => ({
          index,
          message: {
            role: 'assistant',
            content:
              draft.content.length > 0 || draft.toolCalls.length === 0 ? draft.content : null,
            refusal: null,
            ...(draft.toolCalls.length > 0
              ? {
                  tool_calls: draft.toolCalls.map((tool) => ({
                    id: tool.id,
                    type: 'function' as const,
                    function: { name: tool.name, arguments: tool.arguments },
                  })),
                }
              : {}),
          },
          finish_reason: draft.finishReason ?? 'stop',
          logprobs: null,
        })
      )
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices,
      ...(this.systemFingerprint ? { system_fingerprint: this.systemFingerprint } : {}),
    }
  }

  private draft(index: number): ChoiceDraft {
    let draft = this.choices.get(index)
    if (!draft) {
      draft = { content: '', toolCalls: [], finishReason: null }
      this.choices.set(index, draft)
    }
    return draft
  }
}
