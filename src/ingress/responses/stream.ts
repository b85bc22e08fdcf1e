/**
 * @module
 * The pipeline's chat stream (`data:` chunk frames, an `error` event on a mid-stream failure,
 * `[DONE]`) mapped to Responses events frame by frame, pulled by the client's reads: nothing is
 * buffered beyond the frame at hand. Every event carries an increasing `sequence_number`; a
 * stream that breaks (the upstream failed, a guardrail blocked the answer) ends with
 * `response.failed` and then an `error` event, never with a clean `response.completed`: the
 * failed response is what `previous_response_id` finds, and the error event is what clients
 * raise (the OpenAI SDK throws an `APIError` carrying its code).
 * `finish` runs before the last event is sent, so what it stores is readable once the client
 * has seen the response complete.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { Verdict } from '../../guardrails/verdicts'
import { encodeSSE, parseSSE } from '../../lib/sse'
import { type FunctionCallItem, type Item, type MessageItem, newId, outputText } from './items'
import {
  finished,
  type ResponseObject,
  type ResponseUsage,
  responseUsage,
  withVerdicts,
} from './response-object'

type Event = { type: string } & Record<string, unknown>

type OpenMessage = { index: number; item: MessageItem; text: string }
type OpenCall = { index: number; item: FunctionCallItem }

export function responseEvents(
  body: ReadableStream<Uint8Array>,
  started: ResponseObject,
  finish: (response: ResponseObject) => Promise<void>
): ReadableStream<Uint8Array> {
  // Our own reader of the body, so a client that goes away cancels it even mid-read, and the
  // relay behind it cancels the upstream.
  const reader = body.getReader()
  const frames = parseSSE(
    new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const read = await reader.read()
          if (read.done) controller.close()
          else controller.enqueue(read.value)
        },
      },
      { highWaterMark: 0 }
    )
  )
  const output: Item[] = []
  let sequence = 0
  let message: OpenMessage | undefined
  const calls = new Map<number, OpenCall>()
  let finishReason: string | null | undefined
  let usage: ResponseUsage | null = null
  let verdicts: Verdict[] | undefined
  let ended = false

  const frame = (event: Event) =>
    encodeSSE(JSON.stringify({ ...event, sequence_number: sequence++ }), event.type)

  function openMessage(events: Event[]): OpenMessage {
    if (message) return message
    const item: MessageItem = {
      type: 'message',
      id: newId('msg'),
      status: 'in_progress',
      role: 'assistant',
      content: [],
    }
    message = { index: output.length, item, text: '' }
    output.push(item)
    events.push(
      { type: 'response.output_item.added', output_index: message.index, item: { ...item } },
      {
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: message.index,
        content_index: 0,
        part: outputText(''),
      }
    )
    return message
  }

  function closeMessage(events: Event[], status: MessageItem['status']): void {
    if (!message) return
    const { index, item, text } = message
    const part = outputText(text)
    item.content = [part]
    item.status = status
    const at = { item_id: item.id, output_index: index, content_index: 0 }
    events.push(
      { type: 'response.output_text.done', ...at, text, logprobs: [] },
      { type: 'response.content_part.done', ...at, part },
      { type: 'response.output_item.done', output_index: index, item }
    )
    message = undefined
  }

  function closeCalls(events: Event[], status: FunctionCallItem['status']): void {
    for (const { index, item } of calls.values()) {
      item.status = status
      events.push(
        {
          type: 'response.function_call_arguments.done',
          item_id: item.id,
          output_index: index,
          name: item.name,
          arguments: item.arguments,
        },
        { type: 'response.output_item.done', output_index: index, item }
      )
    }
    calls.clear()
  }

  function onChunk(chunk: ChatCompletionChunk, events: Event[]): void {
    if (chunk.usage) usage = responseUsage(chunk.usage)
    const choice = chunk.choices[0]
    if (!choice) return
    const { delta } = choice
    const text = delta.content ?? delta.refusal
    if (text) {
      const open = openMessage(events)
      open.text += text
      events.push({
        type: 'response.output_text.delta',
        item_id: open.item.id,
        output_index: open.index,
        content_index: 0,
        delta: text,
        logprobs: [],
      })
    }
    for (const call of delta.tool_calls ?? []) {
      let open = calls.get(call.index)
      if (!open) {
        closeMessage(events, 'completed')
        const item: FunctionCallItem = {
          type: 'function_call',
          id: newId('fc'),
          call_id: call.id ?? newId('call'),
          name: call.function?.name ?? '',
          arguments: '',
          status: 'in_progress',
        }
        open = { index: output.length, item }
        calls.set(call.index, open)
        output.push(item)
        events.push({
          type: 'response.output_item.added',
          output_index: open.index,
          item: { ...item },
        })
      }
      const piece = call.function?.arguments
      if (piece) {
        open.item.arguments += piece
        events.push({
          type: 'response.function_call_arguments.delta',
          item_id: open.item.id,
          output_index: open.index,
          delta: piece,
        })
      }
    }
    if (choice.finish_reason) finishReason = choice.finish_reason
  }

  async function complete(events: Event[]): Promise<void> {
    const status = finishReason === 'length' ? 'incomplete' : 'completed'
    closeMessage(events, status)
    closeCalls(events, status)
    const response = finished(started, output, finishReason, usage)
    await finish(response)
    const type = response.status === 'incomplete' ? 'response.incomplete' : 'response.completed'
    events.push({ type, response: withVerdicts(response, verdicts) })
  }

  async function fail(events: Event[], error: { code: string; message: string }): Promise<void> {
    closeMessage(events, 'incomplete')
    closeCalls(events, 'incomplete')
    const response: ResponseObject = { ...started, status: 'failed', error, output, usage }
    await finish(response)
    events.push(
      { type: 'response.failed', response },
      { type: 'error', code: error.code, message: error.message, param: null }
    )
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(frame({ type: 'response.created', response: started }))
        controller.enqueue(frame({ type: 'response.in_progress', response: started }))
      },
      async pull(controller) {
        const events: Event[] = []
        try {
          // A pull must enqueue something or end the stream: frames that map to no event
          // (a role-only first chunk, usage alone) are skipped until one does.
          while (events.length === 0 && !ended) {
            const next = await frames.next()
            if (next.done) {
              ended = true
              await fail(events, {
                code: 'server_error',
                message: 'The stream ended before it was complete.',
              })
            } else if (next.value.event === 'error') {
              ended = true
              await fail(events, streamFailure(next.value.data))
            } else if (next.value.event === 'guardrails') {
              // The verdicts the client asked for, on the completed response (after the output).
              verdicts = reportedVerdicts(next.value.data)
            } else if (next.value.data === '[DONE]') {
              ended = true
              await complete(events)
            } else if (next.value.event === undefined) {
              onChunk(JSON.parse(next.value.data), events)
            }
          }
        } catch (error) {
          ended = true
          events.length = 0
          await fail(events, {
            code: 'server_error',
            message: error instanceof Error ? error.message : 'The stream failed.',
          })
        }
        for (const event of events) controller.enqueue(frame(event))
        if (ended) controller.close()
      },
      async cancel(reason) {
        ended = true
        await reader.cancel(reason)
      },
    },
    { highWaterMark: 0 }
  )
}

/** The relay's error event (OpenAI's envelope) as a Response error. */
function streamFailure(data: string): { code: string; message: string } {
  try {
    const parsed: { error?: { code?: string | null; message?: string } } = JSON.parse(data)
    return {
      code: parsed.error?.code ?? 'server_error',
      message: parsed.error?.message ?? 'The upstream failed mid-stream.',
    }
  } catch {
    return { code: 'server_error', message: 'The upstream failed mid-stream.' }
  }
}

/** The pipeline's `guardrails` frame (`x-gateway-guardrails-report`): its verdicts. */
function reportedVerdicts(data: string): Verdict[] | undefined {
  const parsed: { guardrails?: Verdict[] } = JSON.parse(data)
  return parsed.guardrails
}
