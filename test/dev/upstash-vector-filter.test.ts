import { beforeAll, describe, expect, it } from 'vitest'
import { freshNamespace, testIndex } from './upstash-vector-helpers'

const ns = testIndex('test-cosine').namespace(freshNamespace('filter'))

const CITIES = [
  {
    id: 'istanbul',
    metadata: {
      country: 'TR',
      population: 15.5,
      coastal: true,
      tags: ['old', 'big'],
      geo: { continent: 'EU', coords: [41, 29] },
    },
  },
  {
    id: 'ankara',
    metadata: {
      country: 'TR',
      population: 5.7,
      coastal: false,
      tags: ['capital'],
      geo: { continent: 'AS', coords: [39, 32] },
    },
  },
  {
    id: 'paris',
    metadata: {
      country: 'FR',
      population: 2.1,
      coastal: false,
      tags: ['capital', 'old'],
      geo: { continent: 'EU', coords: [48, 2] },
    },
  },
  {
    id: 'nice',
    metadata: {
      country: 'FR',
      population: 0.3,
      coastal: true,
      geo: { continent: 'EU', coords: [43, 7] },
    },
  },
  { id: "o'hare", metadata: { country: 'US', population: 0, name: "O'Hare" } },
]

async function ids(filter: string): Promise<string[]> {
  const results = await ns.query({ vector: [1, 0, 0], topK: 10, filter })
  return results.map((result) => String(result.id)).sort()
}

beforeAll(async () => {
  await ns.upsert(CITIES.map((city) => ({ ...city, vector: [1, 0, 0] })))
})

describe('Vector stand-in metadata filters', () => {
  it.each([
    ["country = 'TR'", ['ankara', 'istanbul']],
    ['country != "TR"', ["o'hare", 'nice', 'paris']],
    ['population < 2.1', ["o'hare", 'nice']],
    ['population <= 2.1', ["o'hare", 'nice', 'paris']],
    ['population > 5.7', ['istanbul']],
    ['population >= 5.7', ['ankara', 'istanbul']],
    ['coastal = true', ['istanbul', 'nice']],
    ['coastal = 0', ['ankara', 'paris']],
    ["country GLOB 'F?'", ['nice', 'paris']],
    ["id GLOB '*'", []],
    ["geo.continent NOT GLOB '[A-D]*'", ['istanbul', 'nice', 'paris']],
    ["country IN ('FR', 'US')", ["o'hare", 'nice', 'paris']],
    ["country NOT IN ('FR', 'US')", ['ankara', 'istanbul']],
    ["tags CONTAINS 'capital'", ['ankara', 'paris']],
    ["tags NOT CONTAINS 'capital'", ['istanbul']],
    ['HAS FIELD tags', ['ankara', 'istanbul', 'paris']],
    ['HAS NOT FIELD geo', ["o'hare"]],
    ['geo.coords[0] > 42', ['nice', 'paris']],
    ['geo.coords[#-1] < 5', ['paris']],
    ["name = 'O\\'Hare'", ["o'hare"]],
    ["country = 'FR' OR country = 'TR' AND coastal = true", ['istanbul', 'nice', 'paris']],
    ["(country = 'FR' OR country = 'TR') and coastal = TRUE", ['istanbul', 'nice']],
    ['has field tags and not_there != 1 or population = 0', ["o'hare"]],
    ['', ['ankara', 'istanbul', "o'hare", 'nice', 'paris']],
  ])('%s', async (filter, expected) => {
    expect(await ids(filter)).toEqual([...expected].sort())
  })

  it.each([
    ["country = 'TR' AND", /position 18: expected a field name, HAS or '\(', found the end/],
    ['population >> 3', /position 12: expected a string, number or boolean, found '>'/],
    ["country IN ('TR'", /expected ',' or '\)' in the IN list/],
    ["country = 'TR", /unterminated string/],
    ['tags[x] = 1', /invalid array index \[x\]/],
    ["country NOT 'TR'", /expected GLOB, IN or CONTAINS after NOT/],
    ["(country = 'TR'", /expected '\)' to close the group/],
    ["country GLOB '[a-'", /unclosed '\['/],
    ['population ~ 3', /unexpected character '~'/],
  ])('refuses %s with a message that points at the problem', async (filter, message) => {
    await expect(ns.query({ vector: [1, 0, 0], topK: 1, filter })).rejects.toThrow(message)
  })
})
