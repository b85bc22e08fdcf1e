/**
 * Upstash stores vectors and computes scores in float32 and prints each number as the shortest
 * decimal that reads back as the same float32 (`0.1`, not the `0.10000000149011612` a float64
 * printer gives the same bits). These helpers keep the stand-in's arithmetic and output in step.
 */

/** Float32 addition: rounds the exact float64 sum, as a float32 accumulator would. */
export function add32(a: number, b: number): number {
  return Math.fround(a + b)
}

/** Float32 multiplication; a product of two float32 values is exact in float64 before rounding. */
export function multiply32(a: number, b: number): number {
  return Math.fround(a * b)
}

/**
 * The number JSON should carry for `value` stored as float32: the shortest decimal (at most nine
 * significant digits always suffice) that rounds back to the same float32. JSON.stringify then
 * prints those digits, since a decimal of nine digits or fewer is its own shortest float64 form.
 */
export function shortestFloat32(value: number): number {
  const single = Math.fround(value)
  if (single === 0 || !Number.isFinite(single)) return single
  for (let digits = 1; digits < 9; digits++) {
    const nearest = nearestDecimal(single, digits)
    if (Math.fround(Number(nearest)) === single) return Number(nearest)
    // Just above a power of two the float32 gap below is half the gap above, so the nearest
    // decimal can fall outside while the next one up still rounds back: Ryu-style printers
    // (Go, Rust) then print that one, and so must we.
    const above = nextAwayFromZero(nearest)
    if (Math.fround(Number(above)) === single) return Number(above)
  }
  return Number(nearestDecimal(single, 9))
}

/**
 * `value` to `digits` significant digits, ties to an even last digit as Ryu does (toExponential
 * breaks ties away from zero). Float32 values have short exact expansions, so a tie shows as a
 * one-digit-longer form ending in 5 that is exactly the value.
 */
function nearestDecimal(value: number, digits: number): string {
  const rounded = value.toExponential(digits - 1)
  const longer = value.toExponential(digits)
  if (!/5e/.test(longer) || Number(longer) !== value) return rounded
  // A tie: the candidate towards zero is `longer` without its final 5; keep it if its last digit
  // is even (checked there, since rounding away may carry into a new exponent, as 9.5 to 1e1).
  const [mantissa = '', exponent = '0'] = longer.split('e')
  const truncated = mantissa.slice(0, -1).replace(/\.$/, '')
  return Number(truncated.slice(-1)) % 2 === 0 ? `${truncated}e${exponent}` : rounded
}

/** `d.ddde±x` with its last digit moved one unit away from zero. */
function nextAwayFromZero(exponential: string): string {
  const [mantissa = '', exponent = '0'] = exponential.split('e')
  const negative = mantissa.startsWith('-')
  const digits = mantissa.replace(/[-.]/g, '')
  const stepped = (BigInt(digits) + 1n).toString()
  return `${negative ? '-' : ''}${stepped}e${Number(exponent) - (digits.length - 1)}`
}
