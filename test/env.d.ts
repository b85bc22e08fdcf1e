/** The Worker's bindings and main module, so `env` and `exports` from cloudflare:workers are typed in tests. */
import type { Bindings } from '../src/env'
import type * as MainModule from '../src/index'

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      /** wrangler.toml [assets]: the dashboard as the asset server serves it. */
      ASSETS: Fetcher
    }
    interface GlobalProps {
      mainModule: typeof MainModule
    }
  }
}
