const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/

/** Keeps a caller's id when it is safe to echo into logs and headers; otherwise makes one. */
export function resolveRequestId(incoming: string | undefined): string {
  return incoming && VALID_REQUEST_ID.test(incoming)
    ? incoming
    : `req_${crypto.randomUUID().replaceAll('-', '')}`
}
