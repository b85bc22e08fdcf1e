/** What test/global-setup.ts provides: the local stack's URLs and tokens. */
import 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    redisRestUrl: string
    redisRestToken: string
    redisRestReadonlyToken: string
    /** Same REST URL, but an independent Redis database (a second region). */
    redisRestToken2: string
    vectorRestUrl: string
    vectorRestToken: string
    mockProviderUrl: string
  }
}
