import type { Target } from './catalog-schema'
import { isOpen } from './circuit-breaker'

export const targetKey = (target: Pick<Target, 'provider' | 'model'>) =>
  `${target.provider}/${target.model}`

/**
 * The order to try targets in: by priority, weighted-random within a priority, and targets whose
 * breaker is open moved to the end (still tried, as a last resort, rather than failing outright).
 */
export function orderTargets(targets: Target[], random: () => number = Math.random): Target[] {
  const priorities = [...new Set(targets.map((t) => t.priority))].sort((a, b) => a - b)
  const ordered = priorities.flatMap((priority) =>
    weightedShuffle(
      targets.filter((t) => t.priority === priority),
      random
    )
  )
  return [
    ...ordered.filter((t) => !isOpen(targetKey(t))),
    ...ordered.filter((t) => isOpen(targetKey(t))),
  ]
}

function weightedShuffle(targets: Target[], random: () => number): Target[] {
  const pool = [...targets]
  const out: Target[] = []
  while (pool.length > 0) {
    const total = pool.reduce((sum, t) => sum + t.weight, 0)
    let pick = random() * total
    let index = pool.findIndex((t) => {
      pick -= t.weight
      return pick < 0
    })
    if (index === -1) index = pool.length - 1
    out.push(...pool.splice(index, 1))
  }
  return out
}
