/**
 * The whole request, as adapters hand it to `authenticateRequest`: what DPoP
 * (method, URL, the `DPoP` header) and mTLS (the client certificate) need
 * beyond the Authorization header.
 */
/** Request headers: a web `Headers`, or Node's `IncomingHttpHeaders` shape (names lower-case). */
export type RequestHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * What the verifier reads from a request.
 *
 * @example
 * const request: RequestInfo = {
 *   method: 'GET',
 *   url: 'https://orders.example.com/orders?page=2',
 *   headers: { authorization: 'DPoP eyJ…', dpop: 'eyJ…' },
 * }
 */
export interface RequestInfo {
  /** The HTTP method, as sent: `'GET'`, `'POST'`, … */
  method: string
  /** The absolute URL as the client addressed it: scheme, host, path and query. */
  url: string
  /** The request headers. */
  headers: RequestHeaders
  /**
   * The TLS peer certificate, if the connection has one: a node `X509Certificate`
   * (or anything with its DER as `raw`, such as `socket.getPeerCertificate()`), PEM, or DER.
   */
  clientCertificate?: { readonly raw: Uint8Array } | string | Uint8Array | undefined
}

/**
 * Every value of header `name` (lower-case) as the request carries it: one
 * entry per value Node kept apart, or the single combined string that
 * `Headers` and Node make of repeated fields (joined with `, `). Empty when
 * the header is absent.
 */
export function headerValues(headers: RequestHeaders, name: string): readonly string[] {
  if (isWebHeaders(headers)) {
    const value = headers.get(name)
    return value === null ? [] : [value]
  }
  const value = (headers as Record<string, unknown>)[name]
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string')
  return []
}

function isWebHeaders(headers: RequestHeaders): headers is Headers {
  return typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function'
}
