/** UTC calendar buckets for usage (per day) and budgets (per month). */

export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10)
}

export function utcMonth(time: number): string {
  return new Date(time).toISOString().slice(0, 7)
}
