import { describe, expect, it } from 'vitest'
import { canMove, isTerminal } from '../../../src/ingress/responses/background-store'
import type { ResponseStatus } from '../../../src/ingress/responses/response-object'

const ALL: ResponseStatus[] = [
  'queued',
  'in_progress',
  'completed',
  'incomplete',
  'failed',
  'cancelled',
]

describe('the background state machine', () => {
  it('moves queued -> in_progress -> a terminal status, and nowhere from there', () => {
    const moves = ALL.map((from) => [from, ALL.filter((to) => canMove(from, to))])
    expect(Object.fromEntries(moves)).toEqual({
      queued: ['in_progress', 'failed', 'cancelled'],
      // Back to queued only to restart the run of a consumer that died.
      in_progress: ['queued', 'completed', 'incomplete', 'failed', 'cancelled'],
      completed: [],
      incomplete: [],
      failed: [],
      cancelled: [],
    })
  })

  it('calls exactly the four end states terminal', () => {
    expect(ALL.filter(isTerminal)).toEqual(['completed', 'incomplete', 'failed', 'cancelled'])
  })

  it('never completes a response that has not started', () => {
    expect(canMove('queued', 'completed')).toBe(false)
    expect(canMove('queued', 'incomplete')).toBe(false)
  })
})
