import * as z from 'zod/mini'
import { lazy } from '../lib/lazy'

const positiveMs = lazy(() => z.int().check(z.gte(1)))

/** One upstream a public model can be served by. */
export const TargetSchema = lazy(() =>
  z.strictObject({
    provider: z.string().check(z.minLength(1)),
    model: z.string().check(z.minLength(1)),
    /** Share of traffic among targets of the same priority. */
    weight: z._default(z.number().check(z.gt(0)), 1),
    /** Lower first; higher priorities are fallbacks. */
    priority: z._default(z.int().check(z.gte(0)), 0),
    timeoutMs: z._default(positiveMs(), 120_000),
    firstByteTimeoutMs: z._default(positiveMs(), 15_000),
    retries: z._default(z.int().check(z.gte(0), z.lte(5)), 1),
  })
)

export const CatalogModelSchema = lazy(() =>
  z.strictObject({
    name: z.string().check(z.minLength(1)),
    aliases: z._default(z.array(z.string()), []),
    kind: z._default(z.enum(['chat', 'embeddings']), 'chat'),
    targets: z.array(TargetSchema()).check(z.minLength(1)),
  })
)

export const CatalogSchema = lazy(() => z.strictObject({ models: z.array(CatalogModelSchema()) }))

export type Target = z.infer<ReturnType<typeof TargetSchema>>
export type CatalogModel = z.infer<ReturnType<typeof CatalogModelSchema>>
export type CatalogSettings = z.infer<ReturnType<typeof CatalogSchema>>
