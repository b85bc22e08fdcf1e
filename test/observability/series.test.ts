import { describe, expect, it } from 'vitest'
import { histogramQuantile } from '../../src/observability/series'

describe('histogramQuantile', () => {
  const bounds = [0.1, 0.2, 0.4]

  it('interpolates within the bucket holding the rank, as histogram_quantile does', () => {
    // Ten observations: 4 up to 0.1, 4 in (0.1, 0.2], 2 in (0.2, 0.4].
    expect(histogramQuantile(bounds, [4, 4, 2], 0.5)).toBeCloseTo(0.125, 10)
    expect(histogramQuantile(bounds, [4, 4, 2], 0.2)).toBeCloseTo(0.05, 10)
    expect(histogramQuantile(bounds, [4, 4, 2], 0.95)).toBeCloseTo(0.35, 10)
  })

  it('skips empty buckets, answers the last boundary past it, and null with no observation', () => {
    expect(histogramQuantile(bounds, [0, 0, 2], 0.5)).toBeCloseTo(0.3, 10)
    expect(histogramQuantile(bounds, [1, 0, 0, 9], 0.95)).toBe(0.4)
    expect(histogramQuantile(bounds, [], 0.5)).toBeNull()
    expect(histogramQuantile(bounds, undefined, 0.5)).toBeNull()
  })
})
