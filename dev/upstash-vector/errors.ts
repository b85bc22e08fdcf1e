/** A request the stand-in refuses; the HTTP layer turns it into Upstash's `{error, status}` body. */
export class VectorError extends Error {
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

export const badRequest = (message: string) => new VectorError(400, message)
