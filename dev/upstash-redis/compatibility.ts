/**
 * What the local redis-server lacks of what Upstash serves, so the stand-in can say so once at
 * start instead of letting those commands fail later as unknown. Upstash added these in 2025
 * (its Redis changelog); redis-server ships them from the versions below, and Debian's apt
 * still installs 7.0.
 */

type Addition = {
  since: string
  /** Whole commands, found (or not) in the server's COMMAND list. */
  commands: string[]
  /** Options of existing commands, which only the version can tell. */
  options: string[]
}

const ADDITIONS: Addition[] = [
  {
    since: '7.4.0',
    commands: [
      'HEXPIRE',
      'HPEXPIRE',
      'HEXPIREAT',
      'HPEXPIREAT',
      'HTTL',
      'HPTTL',
      'HEXPIRETIME',
      'HPEXPIRETIME',
      'HPERSIST',
    ],
    options: [],
  },
  { since: '8.0.0', commands: ['HGETEX', 'HSETEX', 'HGETDEL'], options: [] },
  {
    since: '8.2.0',
    commands: ['XDELEX', 'XACKDEL'],
    options: ['BITOP DIFF/DIFF1/ANDOR/ONE', 'XADD/XTRIM KEEPREF/DELREF/ACKED'],
  },
]

/**
 * Everything Upstash serves that this server lacks: commands missing from its COMMAND list
 * (`knownCommands`, any case), and options newer than `version` (`7.0.15` from INFO server).
 */
export function missingFeatures(version: string, knownCommands: Iterable<string>): string[] {
  const known = new Set([...knownCommands].map((name) => name.toUpperCase()))
  return ADDITIONS.flatMap(({ since, commands, options }) => [
    ...commands.filter((command) => !known.has(command)),
    ...(compareVersions(version, since) < 0 ? options : []),
  ])
}

/** The one line to print, or undefined when nothing is missing. */
export function missingFeaturesWarning(version: string, missing: string[]): string | undefined {
  if (missing.length === 0) return undefined
  return `redis-server ${version} lacks what Upstash serves: ${missing.join(', ')} (they will fail as unknown commands or syntax errors; install Redis 8.2 or later to use them)`
}

/** The `redis_version` field of an INFO server reply. */
export function redisVersion(info: string): string {
  return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown'
}

function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.split('.').map((part) => Number.parseInt(part, 10))
  const [left, right] = [parts(a), parts(b)]
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] || 0) - (right[i] || 0)
    if (difference !== 0) return difference
  }
  return 0
}
