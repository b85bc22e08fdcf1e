/**
 * A value built on first use, not at import. Schemas are the reason: building every zod schema
 * at module load cost the Worker's cold start tens of milliseconds of CPU, for routes a given
 * isolate may never serve.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined
  return () => {
    built ??= { value: build() }
    return built.value
  }
}
