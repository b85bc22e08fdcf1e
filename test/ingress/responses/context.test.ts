import { beforeAll, describe, expect, it } from 'vitest'
import { mockRequests, openAIClient, servedBy, uniqueTag } from '../../helpers/gateway'
import { tenantWithKey } from '../../tenancy/fixtures'

const BUDGET = 600
const SUMMARY_PROMPT = 'You maintain the running summary'

type Sent = Array<{ role: string; content: unknown }>

/** The gateway's estimate: four characters a token, four tokens of framing a message. */
function estimate(messages: Sent): number {
  return messages.reduce((sum, m) => sum + 4 + Math.ceil(JSON.stringify(m.content).length / 4), 0)
}

describe('the context budget: system + summary + last N turns', () => {
  let secret = ''
  beforeAll(async () => {
    const tenant = await tenantWithKey({
      responses: {
        context: { max_input_tokens: BUDGET, recent_turns: 3, default_truncation: 'auto' },
      },
    })
    secret = tenant.secret
  })

  it('keeps a 40-turn conversation within budget, summarises after responses, lists every item', async () => {
    const served = servedBy()
    const client = openAIClient(secret, served.fetch)
    const tag = uniqueTag()
    const model = `mock/gpt:tokens=20,tag=${tag}`
    const conversation = await client.conversations.create({})
    const contexts: string[] = []
    for (let turn = 0; turn < 40; turn++) {
      const { response } = await client.responses
        .create({
          model,
          instructions: 'You are a patient tutor.',
          input: `Turn ${turn}: tell me one more fact about the number ${turn}, please.`,
          conversation: conversation.id,
        })
        .withResponse()
      contexts.push(response.headers.get('x-gateway-context') ?? '')
      // The background summary runs after each response, as between a user's messages.
      await served.settled()
    }
    const sent = (await mockRequests(tag)).map(
      (request) => (request.body as { messages: Sent }).messages
    )
    const summaries = sent.filter((messages) =>
      String(messages[0]?.content).startsWith(SUMMARY_PROMPT)
    )
    const answers = sent.filter((messages) => !summaries.includes(messages))
    expect(answers).toHaveLength(40)
    expect(summaries.length).toBeGreaterThan(0)
    for (const messages of answers) expect(estimate(messages)).toBeLessThanOrEqual(BUDGET)
    // The instructions stay first; the summary follows them once there is one.
    const last = answers.at(-1) ?? []
    expect(last[0]).toEqual({ role: 'system', content: 'You are a patient tutor.' })
    expect(String(last[1]?.content)).toMatch(/^Summary of the earlier conversation:/)
    expect(contexts.at(-1)).toMatch(/^summarized=\d+; omitted=0$/)

    let listed = 0
    for await (const _ of client.conversations.items.list(conversation.id, { limit: 100 })) listed++
    expect(listed).toBe(80)
  }, 120_000)

  it('refuses a context past the budget with truncation disabled, instead of cutting it', async () => {
    const client = openAIClient(secret)
    await expect(
      client.responses.create({
        model: 'mock/gpt',
        input: 'x'.repeat(BUDGET * 5),
        truncation: 'disabled',
      })
    ).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input' })
  })
})
