import type { Controls } from './controls.ts'

/** What every provider endpoint gets once the body parsed and the controls were split off. */
export type EndpointInput = {
  body: Record<string, unknown>
  /** The model name without its control suffix; responses echo it. */
  model: string
  controls: Controls
  /** Unique per request; response ids are built from it. */
  requestId: string
}
