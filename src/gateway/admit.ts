import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { type AdmissionRequest, admitRequest } from '../limits/admission'
import type { MeteredUsage } from '../tenancy/types'

/** Records what a request consumed (null: it failed, refund everything) after the response. */
export type Settle = (usage: MeteredUsage | null) => void

/**
 * Admits a request against its limits and budgets, puts the rate-limit headers on whatever the
 * response turns out to be, and returns how to settle it in the background.
 */
export async function admit(c: Context<AppEnv>, request: AdmissionRequest): Promise<Settle> {
  const admission = await admitRequest(c, request)
  for (const [name, value] of Object.entries(admission.headers)) c.header(name, value)
  return (usage) => c.executionCtx.waitUntil(admission.settle(usage))
}
