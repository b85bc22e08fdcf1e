/**
 * Which token each Redis database and Vector index of `npm run upstash-local` gets, from the
 * repeatable `--redis-token [db=]token` and `--vector-token [index=]token` flags and
 * `--redis-databases <n>`; anything not given a token gets a fresh one from `fresh`.
 */

export type RedisTokens = { main: string; databases: Array<{ db: number; token: string }> }

/** redis-server's default `databases 16`: logical databases 0 to 15. */
const HIGHEST_DATABASE = 15

/**
 * Database 0 and `extra` more (1 to `extra`), as MultiRegionRatelimit needs one database per
 * simulated region. A token for a database beyond `extra` adds the databases up to it.
 */
export function redisTokens(
  specs: readonly string[],
  extra: string | undefined,
  fresh: () => string
): RedisTokens {
  const given = new Map<number, string>()
  for (const spec of specs) {
    const [, db = '0', token = spec] = /^(\d+)=(.+)$/.exec(spec) ?? []
    const database = Number(db)
    if (database > HIGHEST_DATABASE) {
      throw new Error(`--redis-token ${db}=…: redis-server has databases 0 to ${HIGHEST_DATABASE}`)
    }
    if (given.has(database)) throw new Error(`--redis-token: database ${database} given twice`)
    given.set(database, token)
  }
  const count = extra === undefined ? 0 : Number(extra)
  if (!Number.isInteger(count) || count < 0 || count > HIGHEST_DATABASE) {
    throw new Error(`--redis-databases must be a whole number from 0 to ${HIGHEST_DATABASE}`)
  }
  const main = given.get(0) ?? fresh()
  const highest = Math.max(count, ...given.keys())
  const databases = Array.from({ length: highest }, (_, i) => ({
    db: i + 1,
    token: given.get(i + 1) ?? fresh(),
  }))
  return { main, databases }
}

/**
 * One token per index: `name=token` for that index, a bare token for every index not named
 * (so one bare `--vector-token` keeps working as before), a fresh one otherwise. A prefix that
 * names no index is part of the token, since real tokens may contain `=`.
 */
export function vectorTokens(
  specs: readonly string[],
  indexNames: readonly string[],
  fresh: () => string
): Map<string, string> {
  const named = new Map<string, string>()
  let fallback: string | undefined
  for (const spec of specs) {
    const separator = spec.indexOf('=')
    const name = separator > 0 ? spec.slice(0, separator) : ''
    if (indexNames.includes(name)) {
      if (named.has(name)) throw new Error(`--vector-token: index ${name} given twice`)
      named.set(name, spec.slice(separator + 1))
    } else if (fallback === undefined) {
      fallback = spec
    } else {
      throw new Error('--vector-token: only one token may go without an index name')
    }
  }
  return new Map(indexNames.map((name) => [name, named.get(name) ?? fallback ?? fresh()]))
}
