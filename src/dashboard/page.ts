/**
 * @module
 * The dashboard page's script, bundled with uPlot by dev/dashboard.ts into the static assets. It
 * reads the admin API of the same origin (/admin/tenants, /admin/metrics/*) with the admin token,
 * which lives in this closure only: never in storage or a cookie, so closing or reloading the page
 * forgets it. Every chart has its numbers in a table beside it, for screen readers and for copying.
 */
import 'uplot/dist/uPlot.min.css'
import './dashboard.css'
import uPlot from 'uplot'
import type {
  BudgetReport,
  FailureSummary,
  Series,
  SeriesPoint,
} from '../observability/dashboard-types'

type Tenant = { id: string; name: string }
type Line = {
  label: string
  value: (point: SeriesPoint) => number | null
  color: string
  /** A second y axis, on the right, for a series of another unit (cost beside tokens). */
  right?: boolean
}
type Chart = {
  id: string
  title: string
  series: Line[]
  /**
   * Null where a period had no request (percentiles, hit rates): points are drawn and lines join
   * across the gaps, or a lone busy minute would show nothing.
   */
  sparse?: boolean
}

const CHARTS: Chart[] = [
  {
    id: 'traffic',
    title: 'Requests and errors',
    series: [
      { label: 'requests', value: (p) => p.requests, color: '#0969da' },
      { label: 'errors', value: (p) => p.errors, color: '#cf222e' },
    ],
  },
  {
    id: 'latency',
    title: 'Latency and time to first token (ms)',
    sparse: true,
    series: [
      { label: 'latency p50', value: (p) => p.latency_p50_ms, color: '#0969da' },
      { label: 'latency p95', value: (p) => p.latency_p95_ms, color: '#54aeff' },
      { label: 'TTFT p50', value: (p) => p.ttft_p50_ms, color: '#8250df' },
      { label: 'TTFT p95', value: (p) => p.ttft_p95_ms, color: '#c297ff' },
    ],
  },
  {
    id: 'tokens',
    title: 'Tokens and cost',
    series: [
      { label: 'input tokens', value: (p) => p.input_tokens, color: '#1a7f37' },
      { label: 'output tokens', value: (p) => p.output_tokens, color: '#4ac26b' },
      { label: 'cost (USD)', value: (p) => p.cost_usd, color: '#9a6700', right: true },
    ],
  },
  {
    id: 'cache',
    title: 'Cache hit rate (%)',
    sparse: true,
    series: [
      {
        label: 'hit rate',
        value: (p) => (p.cache_hit_rate === null ? null : Math.round(p.cache_hit_rate * 1000) / 10),
        color: '#bf3989',
      },
    ],
  },
]

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id)
  if (!found) throw new Error(`the page has no #${id}`)
  return found as T
}

function tag<K extends keyof HTMLElementTagNameMap>(
  name: K,
  text?: string,
  className?: string
): HTMLElementTagNameMap[K] {
  const made = document.createElement(name)
  if (text !== undefined) made.textContent = text
  if (className) made.className = className
  return made
}

function fillTable(table: HTMLTableElement, head: string[], rows: Array<Array<string | number>>) {
  const headRow = tag('tr')
  for (const name of head) headRow.append(tag('th', name))
  const body = tag('tbody')
  for (const row of rows) {
    const tr = tag('tr')
    for (const cell of row) {
      tr.append(typeof cell === 'number' ? tag('td', format(cell), 'number') : tag('td', cell))
    }
    body.append(tr)
  }
  if (rows.length === 0) {
    const empty = tag('td', 'Nothing yet.')
    empty.colSpan = head.length
    const tr = tag('tr')
    tr.append(empty)
    body.append(tr)
  }
  const thead = tag('thead')
  thead.append(headRow)
  table.replaceChildren(thead, body)
}

function format(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value)
}

function ms(value: number | null): string {
  return value === null ? '–' : `${Math.round(value)} ms`
}

function dashboard(): void {
  /** The admin token, in memory only. */
  let token: string | undefined
  let charts: uPlot[] = []

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(path, { headers: { authorization: `Bearer ${token ?? ''}` } })
    if (response.status === 401) {
      logout('The admin token was refused.')
      throw new Error('unauthorized')
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } }
      throw new Error(body.error?.message ?? `${path}: HTTP ${response.status}`)
    }
    return (await response.json()) as T
  }

  function logout(reason = ''): void {
    token = undefined
    element<HTMLInputElement>('token').value = ''
    element('login-error').textContent = reason
    element('login').hidden = false
    element('controls').hidden = true
    element('dashboard').hidden = true
  }

  async function login(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    token = element<HTMLInputElement>('token').value.trim()
    const tenants = await api<{ data: Tenant[] }>('/admin/tenants')
    const select = element<HTMLSelectElement>('tenant')
    select.replaceChildren(
      new Option('All tenants', ''),
      ...tenants.data.map((tenant) => new Option(`${tenant.name} (${tenant.id})`, tenant.id))
    )
    element('login').hidden = true
    element('controls').hidden = false
    element('dashboard').hidden = false
    await refresh()
  }

  async function refresh(event?: SubmitEvent): Promise<void> {
    event?.preventDefault()
    const tenant = element<HTMLSelectElement>('tenant').value
    const period = element<HTMLSelectElement>('period').value
    const scope = tenant ? `tenant=${encodeURIComponent(tenant)}&` : ''
    const status = element('status')
    status.textContent = 'Loading…'
    const [series, budgets, failures] = await Promise.all([
      api<Series>(`/admin/metrics/series?${scope}period=${period}`),
      api<BudgetReport>(`/admin/metrics/budgets?${scope}`.replace(/[?&]$/, '')),
      api<{ data: FailureSummary[] }>(`/admin/metrics/failures?${scope}limit=20`),
    ])
    showStats(series)
    showCharts(series)
    showModels(series)
    showBudgets(budgets)
    showFailures(failures.data)
    status.textContent = `${tenant || 'All tenants'}, ${series.from} to ${series.to} (UTC), per ${series.period}.`
  }

  function showStats({ total }: Series): void {
    const rate = total.requests > 0 ? `${((total.errors / total.requests) * 100).toFixed(1)}%` : '–'
    const hitRate =
      total.cache_hit_rate === null ? '–' : `${(total.cache_hit_rate * 100).toFixed(1)}%`
    const stats: Array<[string, string, string]> = [
      ['requests', 'Requests', format(total.requests)],
      ['errors', `Errors (${rate})`, format(total.errors)],
      ['cache_hit_rate', 'Cache hit rate', hitRate],
      ['latency', 'Latency p50 / p95', `${ms(total.latency_p50_ms)} / ${ms(total.latency_p95_ms)}`],
      ['ttft', 'TTFT p50 / p95', `${ms(total.ttft_p50_ms)} / ${ms(total.ttft_p95_ms)}`],
      [
        'tokens',
        'Tokens in / out',
        `${format(total.input_tokens)} / ${format(total.output_tokens)}`,
      ],
      ['cost', 'Cost (USD)', `$${total.cost_usd.toFixed(6)}`],
    ]
    element('stats').replaceChildren(
      ...stats.map(([id, label, value]) => {
        const box = tag('div', undefined, 'stat')
        box.dataset.stat = id
        box.append(tag('div', value, 'value'), tag('div', label, 'label'))
        return box
      })
    )
  }

  function showCharts(series: Series): void {
    for (const chart of charts) chart.destroy()
    const container = element('charts')
    const xs = series.points.map((point) => Date.parse(point.start) / 1000)
    const boxes = CHARTS.map((spec) => {
      const box = tag('div', undefined, 'chart')
      box.dataset.chart = spec.id
      box.append(tag('h2', spec.title))
      return box
    })
    container.replaceChildren(...boxes)
    charts = CHARTS.map((spec, index) => {
      const box = boxes[index] as HTMLDivElement
      const columns = spec.series.map((line) => series.points.map(line.value))
      const plot = new uPlot(
        {
          width: Math.max(320, box.clientWidth - 24),
          height: 220,
          series: [
            {},
            ...spec.series.map((line) => ({
              label: line.label,
              stroke: line.color,
              width: 2,
              spanGaps: spec.sparse === true,
              points: { show: spec.sparse === true },
              ...(line.right && { scale: 'right' }),
            })),
          ],
          axes: [
            {},
            { size: 60 },
            ...(spec.series.some((line) => line.right)
              ? [
                  {
                    scale: 'right',
                    side: 1,
                    size: 70,
                    grid: { show: false },
                    // Cost is fractions of a cent: two significant digits, not rounded to 0.
                    values: (_: uPlot, splits: number[]) =>
                      splits.map((v) => (v === 0 ? '0' : v.toPrecision(2))),
                  },
                ]
              : []),
          ],
        },
        [xs, ...columns],
        box
      )
      box.append(dataTable(series.points, spec, columns))
      return plot
    })
  }

  function dataTable(
    points: SeriesPoint[],
    spec: Chart,
    columns: Array<Array<number | null>>
  ): HTMLElement {
    const details = tag('details')
    details.append(tag('summary', 'Data'))
    const table = tag('table')
    table.dataset.chartTable = spec.id
    fillTable(
      table,
      ['start', ...spec.series.map((line) => line.label)],
      points.map((point, row) => [
        point.start,
        ...columns.map((column) => {
          const value = column[row]
          return value === null || value === undefined ? '' : value
        }),
      ])
    )
    details.append(table)
    return details
  }

  function showModels({ models }: Series): void {
    fillTable(
      tableOf('models'),
      ['model', 'requests', 'errors', 'tokens in', 'tokens out', 'cost (USD)'],
      models.map((m) => [
        m.model,
        m.requests,
        m.errors,
        m.input_tokens,
        m.output_tokens,
        m.cost_usd,
      ])
    )
  }

  function showBudgets(report: BudgetReport): void {
    const table = tableOf('budgets')
    fillTable(
      table,
      ['tenant', 'spent (USD)', 'soft cap', 'hard cap', 'burn'],
      report.data.map((row) => [
        row.name,
        row.spent_usd,
        row.soft_usd ?? '–',
        row.hard_usd ?? '–',
        row.burn === null ? '–' : `${(row.burn * 100).toFixed(1)}%`,
      ])
    )
    // A meter beside each burn: how close the tenant is to its cap at a glance.
    report.data.forEach((row, index) => {
      const cell = table.tBodies[0]?.rows[index]?.cells[4]
      if (!cell || row.burn === null) return
      const meter = tag('meter')
      meter.min = 0
      meter.max = 1
      meter.low = 0.8
      meter.high = 0.95
      meter.optimum = 0
      meter.value = Math.min(1, row.burn)
      cell.prepend(meter, ' ')
    })
  }

  function showFailures(failures: FailureSummary[]): void {
    fillTable(
      tableOf('failures'),
      ['time', 'tenant', 'status', 'error', 'target', 'path', 'request id'],
      failures.map((f) => [
        String(f.time ?? ''),
        String(f.tenant_id ?? ''),
        Number(f.status ?? 0),
        String(f.error_code ?? f.error_type ?? ''),
        String(f.target ?? ''),
        String(f.path ?? ''),
        String(f.request_id ?? ''),
      ])
    )
  }

  function tableOf(name: string): HTMLTableElement {
    const table = document.querySelector<HTMLTableElement>(`[data-table="${name}"]`)
    if (!table) throw new Error(`the page has no ${name} table`)
    return table
  }

  const failed = (error: unknown) => {
    if (error instanceof Error && error.message === 'unauthorized') return
    element('status').textContent =
      `Could not load: ${error instanceof Error ? error.message : error}`
  }
  element('login').addEventListener('submit', (event) => {
    login(event).catch((error: unknown) => {
      if (token !== undefined) failed(error)
    })
  })
  element('controls').addEventListener('submit', (event) => {
    refresh(event).catch(failed)
  })
  element('logout').addEventListener('click', () => logout())
}

dashboard()
