/** Hooks made through the tenant API, as a tenant makes them. */
import { expect } from 'vitest'
import { gateway, type Json } from '../tenancy/fixtures'

export type CreatedHook = { id: string; url: string; secret: string } & Json

export function hooksApi(secret: string, path = '', method = 'GET', body?: unknown) {
  return gateway(`/v1/hooks${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

export async function createHook(apiKey: string, body: Json): Promise<CreatedHook> {
  const response = await hooksApi(apiKey, '', 'POST', body)
  const json: CreatedHook = await response.json()
  expect(response.status, JSON.stringify(json)).toBe(201)
  return json
}

/** The path of a hook's public delivery URL, for the test gateway's base. */
export function deliveryPath(hook: { url: string }): string {
  return new URL(hook.url).pathname
}
