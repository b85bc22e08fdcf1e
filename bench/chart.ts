/**
 * The chart in bench/results.md: latency percentile curves per target, one panel per
 * concurrency, and beside them CPU per request per target as bars (the serving process, and the
 * stack's share stacked after it), drawn as SVG and rendered to PNG with resvg. X of a latency
 * panel runs on a "nines" scale (p0 ... p99.9), Y is logarithmic so sub-millisecond and 100 ms
 * tails fit one panel.
 */
import { writeFileSync } from 'node:fs'
import { Resvg } from '@resvg/resvg-js'
import { ascending, percentile } from './stats.ts'

export type Panel = { title: string; series: Array<{ name: string; latencies: number[] }> }

export type CpuBarInput = { name: string; servingMs: number; stackMs: number }

const COLORS = ['#1b9e77', '#7570b3', '#d95f02', '#e7298a', '#66a61e', '#a6761d']
const PANEL = { width: 560, height: 380, left: 64, right: 16, top: 40, bottom: 48 }
const MAX_NINES = 3
const QUANTILES = Array.from({ length: 121 }, (_, i) => 1 - 10 ** (-(i / 120) * MAX_NINES))

export function writeLatencyChart(file: string, panels: Panel[], bars: CpuBarInput[] = []): void {
  const barPanels = bars.length > 0 ? 1 : 0
  const width = PANEL.width * Math.max(1, panels.length + barPanels)
  const height = PANEL.height + 30 + 18 * Math.ceil((panels[0]?.series.length ?? 0) / 3)
  const body = [
    ...panels.map((panel, index) => drawPanel(panel, index * PANEL.width)),
    ...(barPanels ? [drawBars(bars, panels.length * PANEL.width)] : []),
  ].join('')
  const legend = (panels[0]?.series ?? [])
    .map((series, index) => {
      const x = 20 + (index % 3) * 260
      const y = PANEL.height + 20 + 18 * Math.floor(index / 3)
      return `<rect x="${x}" y="${y - 9}" width="14" height="4" fill="${color(index)}"/><text x="${x + 20}" y="${y}" font-size="13">${escapeXml(series.name)}</text>`
    })
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="white"/>${body}${legend}</svg>`
  const png = new Resvg(svg, { font: { loadSystemFonts: true } }).render().asPng()
  writeFileSync(file, png)
}

function drawPanel(panel: Panel, offsetX: number): string {
  const curves = panel.series.map((series) => {
    const sorted = ascending(series.latencies)
    return QUANTILES.map((q) => percentile(sorted, q))
  })
  const values = curves.flat().filter((value) => value > 0 && Number.isFinite(value))
  const low = 10 ** Math.floor(Math.log10(Math.min(...values)))
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values)))
  const plotWidth = PANEL.width - PANEL.left - PANEL.right
  const plotHeight = PANEL.height - PANEL.top - PANEL.bottom
  const x = (q: number) => offsetX + PANEL.left + (-Math.log10(1 - q) / MAX_NINES) * plotWidth
  const y = (ms: number) =>
    PANEL.top +
    plotHeight -
    ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / Math.log10(high / low)) * plotHeight
  const parts: string[] = [
    `<text x="${offsetX + PANEL.width / 2}" y="24" font-size="15" text-anchor="middle">${escapeXml(panel.title)}</text>`,
  ]
  for (let tick = low; tick <= high; tick *= 10) {
    parts.push(
      `<line x1="${offsetX + PANEL.left}" x2="${offsetX + PANEL.left + plotWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${offsetX + PANEL.left - 6}" y="${y(tick) + 4}" font-size="11" text-anchor="end">${tick >= 1 ? tick : tick.toFixed(1)} ms</text>`
    )
  }
  for (const [nines, label] of [
    [0, 'p0'],
    [1, 'p90'],
    [2, 'p99'],
    [3, 'p99.9'],
  ] as const) {
    const q = 1 - 10 ** -nines
    parts.push(
      `<line x1="${x(q)}" x2="${x(q)}" y1="${PANEL.top}" y2="${PANEL.top + plotHeight}" stroke="#ddd"/>`,
      `<text x="${x(q)}" y="${PANEL.top + plotHeight + 16}" font-size="11" text-anchor="middle">${label}</text>`
    )
  }
  // p50 sits at 0.3 nines: marked, since it is the headline figure.
  parts.push(
    `<line x1="${x(0.5)}" x2="${x(0.5)}" y1="${PANEL.top}" y2="${PANEL.top + plotHeight}" stroke="#bbb" stroke-dasharray="4 3"/>`,
    `<text x="${x(0.5)}" y="${PANEL.top + plotHeight + 16}" font-size="11" text-anchor="middle">p50</text>`,
    `<text x="${offsetX + PANEL.left + plotWidth / 2}" y="${PANEL.top + plotHeight + 36}" font-size="12" text-anchor="middle">percentile</text>`
  )
  curves.forEach((curve, index) => {
    const points = curve
      .map((ms, i) => `${x(QUANTILES[i] ?? 0).toFixed(1)},${y(ms).toFixed(1)}`)
      .join(' ')
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${color(index)}" stroke-width="2"/>`
    )
  })
  return parts.join('')
}

const BAR = { label: 200, right: 90, serving: '#7570b3', stack: '#cfcbe6' }

/** Horizontal bars, one per target: serving-process CPU, then the stack's CPU after it. */
function drawBars(bars: CpuBarInput[], offsetX: number): string {
  const clean = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0)
  const high = Math.max(...bars.map((bar) => clean(bar.servingMs) + clean(bar.stackMs)), 0.1)
  const plotWidth = PANEL.width - BAR.label - BAR.right
  const plotHeight = PANEL.height - PANEL.top - PANEL.bottom
  const rowHeight = plotHeight / bars.length
  const x = (value: number) => offsetX + BAR.label + (value / high) * plotWidth
  const parts = [
    `<text x="${offsetX + PANEL.width / 2}" y="24" font-size="15" text-anchor="middle">CPU per request (ms): serving process + stack</text>`,
  ]
  bars.forEach((bar, index) => {
    const y = PANEL.top + index * rowHeight
    const barHeight = Math.min(18, rowHeight * 0.7)
    const serving = clean(bar.servingMs)
    const stack = clean(bar.stackMs)
    parts.push(
      `<text x="${offsetX + BAR.label - 6}" y="${y + barHeight / 2 + 4}" font-size="11" text-anchor="end">${escapeXml(bar.name)}</text>`,
      `<rect x="${x(0)}" y="${y}" width="${x(serving) - x(0)}" height="${barHeight}" fill="${BAR.serving}"/>`,
      `<rect x="${x(serving)}" y="${y}" width="${x(serving + stack) - x(serving)}" height="${barHeight}" fill="${BAR.stack}"/>`,
      `<text x="${x(serving + stack) + 4}" y="${y + barHeight / 2 + 4}" font-size="11">${serving.toFixed(2)} + ${stack.toFixed(2)}</text>`
    )
  })
  const legendY = PANEL.top + plotHeight + 30
  parts.push(
    `<rect x="${offsetX + BAR.label}" y="${legendY - 9}" width="14" height="9" fill="${BAR.serving}"/><text x="${offsetX + BAR.label + 20}" y="${legendY}" font-size="12">serving process (workerd / Node)</text>`,
    `<rect x="${offsetX + BAR.label}" y="${legendY + 7}" width="14" height="9" fill="${BAR.stack}"/><text x="${offsetX + BAR.label + 20}" y="${legendY + 16}" font-size="12">stack (stand-ins + mock)</text>`
  )
  return parts.join('')
}

function color(index: number): string {
  return COLORS[index % COLORS.length] ?? '#000'
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
