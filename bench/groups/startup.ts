/**
 * Startup CPU of the gateway's bundle and the trivial Worker's (`wrangler check startup`), with
 * what it is spent on, and the bundle sizes (ours, and Portkey's Worker build beside it).
 */
import { bundleSize } from '../bundle-size.ts'
import type { Row } from '../report.ts'
import { TRIVIAL_WORKER } from '../runtime.ts'
import { buildStartupBundle, medianContributors, profileStartup } from '../startup.ts'
import { median } from '../stats.ts'
import { INFO, judge, THRESHOLDS } from '../thresholds.ts'
import { type Context, type Group, KIB, ms } from './group.ts'

const TOP = 8

export const startupGroup: Group = {
  name: 'startup',
  async run({ bench, plan, log }: Context) {
    log(`startup: ${plan.startupSamples} wrangler check startup profiles per bundle`)
    const builds = {
      gateway: buildStartupBundle('gateway'),
      trivial: buildStartupBundle('trivial', TRIVIAL_WORKER),
    }
    try {
      const profiles = {
        gateway: [] as ReturnType<typeof profileStartup>[],
        trivial: [] as ReturnType<typeof profileStartup>[],
      }
      // Alternating, so a busy moment on the machine lands on both.
      for (let sample = 0; sample < plan.startupSamples; sample += 1) {
        profiles.gateway.push(profileStartup(builds.gateway, sample))
        profiles.trivial.push(profileStartup(builds.trivial, sample))
      }
      const busy = (list: typeof profiles.gateway) => median(list.map((p) => p.busyMs))
      const range = (list: typeof profiles.gateway) =>
        `${Math.min(...list.map((p) => p.busyMs)).toFixed(1)} – ${Math.max(...list.map((p) => p.busyMs)).toFixed(1)}`
      const modules = medianContributors(profiles.gateway.map((p) => p.byModule))
      const functions = medianContributors(profiles.gateway.map((p) => p.byFunction))
      const top = (list: Array<[string, number]>, count: number) =>
        list
          .slice(0, count)
          .map(([name, value]) => `${name} ${value.toFixed(1)}`)
          .join(', ')
      const ours = bench.bundleSize
      const portkey = bench.bundles.portkey
      const portkeySize = portkey && bundleSize(Buffer.from(portkey.code), portkey.file)
      const rows: Row[] = [
        {
          figure: 'Startup CPU (wrangler check startup): gateway bundle',
          value: `${ms(busy(profiles.gateway))} (runs ${range(profiles.gateway)}); top: ${top(modules, 4)}`,
          ...judge(THRESHOLDS.startupCpu, busy(profiles.gateway)),
        },
        {
          figure: 'Startup CPU (wrangler check startup): trivial Worker',
          value: `${ms(busy(profiles.trivial))} (runs ${range(profiles.trivial)})`,
          ...INFO,
        },
        {
          figure: 'Bundle size (wrangler deploy --dry-run), gzip',
          value: `${(ours.gzipBytes / KIB).toFixed(1)} KiB (raw ${(ours.rawBytes / KIB).toFixed(1)} KiB)`,
          ...judge(THRESHOLDS.bundleGzip, ours.gzipBytes / KIB),
        },
        {
          figure: 'Bundle size: Portkey’s Worker build, gzip',
          value: portkeySize
            ? `${(portkeySize.gzipBytes / KIB).toFixed(1)} KiB (raw ${(portkeySize.rawBytes / KIB).toFixed(1)} KiB)`
            : 'Portkey Worker bundle not found',
          ...INFO,
        },
      ]
      const table = (title: string, list: Array<[string, number]>) => [
        `| ${title} | ms of startup CPU (median of ${plan.startupSamples} profiles) |`,
        '| --- | --- |',
        ...list.slice(0, TOP).map(([name, value]) => `| ${name} | ${value.toFixed(2)} |`),
      ]
      return {
        title: 'Startup and bundle',
        rows,
        method: [
          `\`wrangler deploy --dry-run --outfile\` writes the multipart upload (bundle and source map); \`wrangler check startup --workerBundle\` loads it in a local workerd and writes a CPU profile of startup. Busy time = the sum of \`timeDeltas\` of samples whose frame is not \`(idle)\` (GC and \`(program)\` included: they are startup work too). ${plan.startupSamples} profiles per bundle, gateway and trivial Worker alternating; the median and the range.`,
          'Contributors: each busy sample’s self frame is mapped through the source map to its package (node_modules) or source file; runtime frames keep their names. The sampling interval is coarse (about 1–3 ms), so one profile resolves only the larger items; the contributor table takes each item’s median over the profiles, so one profile disturbed by another process does not dominate it (the items’ medians need not add up to the median total).',
          'Fairly stable: startup runs on one thread in a fresh process and is CPU-bound; a busy machine adds a few ms through preemption, which the range shows. It replaces the old "workerd process start" row, which timed spawning workerd rather than our code.',
          'Bundle size is gzip -9 of the bundle `wrangler deploy --dry-run` writes: deterministic.',
        ],
        sections: [
          {
            title: 'Startup CPU of the gateway bundle, by package or file and by function',
            lines: [
              ...table('module', modules),
              '',
              ...table('function (original file:line)', functions),
            ],
          },
        ],
      }
    } finally {
      builds.gateway.close()
      builds.trivial.close()
    }
  },
}
