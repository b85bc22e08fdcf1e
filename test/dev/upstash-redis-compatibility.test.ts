/**
 * The start-up check that names what the local redis-server lacks of what Upstash serves
 * (Upstash's Redis changelog: hash field expiry in April 2025; HGETEX, HSETEX, HGETDEL, XDELEX,
 * XACKDEL and the new BITOP operations in December 2025).
 */
import { describe, expect, it } from 'vitest'
import {
  missingFeatures,
  missingFeaturesWarning,
  redisVersion,
} from '../../dev/upstash-redis/compatibility.ts'

const HASH_EXPIRY = [
  'HEXPIRE',
  'HPEXPIRE',
  'HEXPIREAT',
  'HPEXPIREAT',
  'HTTL',
  'HPTTL',
  'HEXPIRETIME',
  'HPEXPIRETIME',
  'HPERSIST',
]
const REDIS_8_0 = ['HGETEX', 'HSETEX', 'HGETDEL']
const REDIS_8_2 = ['XDELEX', 'XACKDEL']
const OPTIONS_8_2 = ['BITOP DIFF/DIFF1/ANDOR/ONE', 'XADD/XTRIM KEEPREF/DELREF/ACKED']

describe('missingFeatures', () => {
  it('lists every later addition for Redis 7.0', () => {
    expect(missingFeatures('7.0.15', ['get', 'set', 'bitop', 'xadd'])).toEqual([
      ...HASH_EXPIRY,
      ...REDIS_8_0,
      ...REDIS_8_2,
      ...OPTIONS_8_2,
    ])
  })

  it('leaves out what the server has, by command list and by version', () => {
    const redis74 = HASH_EXPIRY.map((name) => name.toLowerCase())
    expect(missingFeatures('7.4.2', redis74)).toEqual([...REDIS_8_0, ...REDIS_8_2, ...OPTIONS_8_2])
    const redis82 = [...redis74, ...REDIS_8_0, ...REDIS_8_2]
    expect(missingFeatures('8.2.0', redis82)).toEqual([])
    // Versions compare as numbers, not text: 8.10 is later than 8.2.
    expect(missingFeatures('8.10.1', redis82)).toEqual([])
    expect(missingFeatures('8.1.9', redis82)).toEqual(OPTIONS_8_2)
  })

  it('warns in one line, and not at all when nothing is missing', () => {
    const warning = missingFeaturesWarning('7.0.15', ['HGETEX', 'BITOP DIFF/DIFF1/ANDOR/ONE'])
    expect(warning).toMatch(/^redis-server 7\.0\.15 lacks .*HGETEX, BITOP DIFF/)
    expect(warning).not.toContain('\n')
    expect(missingFeaturesWarning('8.2.0', [])).toBeUndefined()
  })

  it('reads the version from INFO server', () => {
    expect(redisVersion('# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n')).toBe('7.0.15')
    expect(redisVersion('nothing here')).toBe('unknown')
  })
})
