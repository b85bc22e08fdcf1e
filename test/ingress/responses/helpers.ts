import { expect } from 'vitest'

/** The call fails as an id that never existed would: 404, naming `param` when given. */
export async function expectNotFound(call: Promise<unknown>, param?: string): Promise<void> {
  await expect(call).rejects.toMatchObject({ status: 404, ...(param ? { param } : {}) })
}
