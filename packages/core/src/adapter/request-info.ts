/**
 * Builds the {@link RequestInfo} an adapter hands to the verifier. The URL
 * and the TLS peer certificate are read only if the verifier asks for them
 * (DPoP needs the URL, mTLS the certificate), so a plain Bearer request costs
 * one small object.
 */
import type { RequestHeaders, RequestInfo } from '../request/request-info.js'

/** What an adapter knows about a request, the costly parts as functions. */
export interface RequestSource {
  readonly method: string
  readonly headers: RequestHeaders
  /**
   * The absolute URL as the client addressed it, from the framework's own
   * protocol and host, which honour its trust-proxy setting for
   * `X-Forwarded-Proto` and `X-Forwarded-Host`. Build it with
   * {@link requestUrl}, which refuses a host that is not one.
   */
  url(): string
  /** The connection, for its TLS peer certificate (a `tls.TLSSocket`); anything else has none. */
  readonly socket?: unknown
}

class AdapterRequest implements RequestInfo {
  readonly method: string
  readonly headers: RequestHeaders
  readonly #source: RequestSource
  #url: string | undefined

  constructor(source: RequestSource) {
    this.method = source.method
    this.headers = source.headers
    this.#source = source
  }

  get url(): string {
    this.#url ??= this.#source.url()
    return this.#url
  }

  get clientCertificate(): Uint8Array | undefined {
    return peerCertificate(this.#source.socket)
  }
}

/**
 * A {@link RequestInfo} whose `url` and `clientCertificate` are computed on
 * first read.
 *
 * @example
 * verifier.authorize(
 *   requestInfo({ method: req.method, headers: req.headers, url: () => requestUrl(req.protocol, req.host, req.originalUrl), socket: req.socket }),
 *   requirement,
 *   req.auth,
 * )
 */
export function requestInfo(source: RequestSource): RequestInfo {
  return new AdapterRequest(source)
}

// host[:port]: a name or IPv4 address of unreserved characters, or an IPv6 literal.
const AUTHORITY = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/

/**
 * The absolute URL of a request from its parts, or `''` when `host` is not a
 * `host[:port]` or `target` not a path that routers and URL normalisation read
 * alike: DPoP then refuses the proof as made for another URL. The host comes from the client (the Host header, or
 * `X-Forwarded-Host` when the app trusts its proxy), and a value such as
 * `api.example.com/orders?` would otherwise move the path a proof's `htu` is
 * compared with onto another route.
 *
 * @example
 * requestUrl('https', 'api.example.com', '/orders?page=2') // 'https://api.example.com/orders?page=2'
 * requestUrl('https', 'api.example.com/orders?', '/admin') // ''
 */
export function requestUrl(protocol: string, host: string | undefined, target: string): string {
  if (protocol !== 'http' && protocol !== 'https') return ''
  if (host === undefined || !AUTHORITY.test(host) || target.charCodeAt(0) !== 0x2f /* / */) return ''
  if (AMBIGUOUS_PATH.test(pathOf(target))) return ''
  return `${protocol}://${host}${target}`
}

// What URL normalisation resolves and the frameworks' routers do not: `.` and `..` segments
// (also percent-encoded), `\` (read as `/`), and percent-encoded unreserved characters. With
// them, the path a proof's htu is compared with is not the one the request is routed on.
const AMBIGUOUS_PATH = /\\|(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2[de]|5f|7e)/i

/** The path of a request target: up to its query or fragment. */
function pathOf(target: string): string {
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

/**
 * The DER of the TLS peer certificate of `socket`, or undefined when the
 * connection is not TLS or the client sent none. Read from the socket on
 * every call: OpenSSL keeps the peer certificate in the session, so a
 * resumed session still has it (see the adapters' tests with a resumed session).
 *
 * @example
 * peerCertificate(req.socket) // Uint8Array (DER) | undefined
 */
export function peerCertificate(socket: unknown): Uint8Array | undefined {
  const tlsSocket = socket as { getPeerCertificate?: (detailed?: boolean) => { raw?: unknown } | null } | null
  if (typeof tlsSocket?.getPeerCertificate !== 'function') return undefined
  let certificate: { raw?: unknown } | null
  try {
    certificate = tlsSocket.getPeerCertificate(true)
  } catch {
    return undefined // a socket already torn down
  }
  const raw = certificate?.raw
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined
}

/**
 * The first value of a forwarded header (`X-Forwarded-Host: a, b` → `a`):
 * the one the proxy nearest the client wrote, as frameworks read it.
 *
 * @example
 * firstForwarded('orders.example.com, 10.0.0.1') // 'orders.example.com'
 */
export function firstForwarded(value: string | readonly string[] | undefined): string | undefined {
  const text = typeof value === 'string' ? value : value?.[0]
  if (text === undefined) return undefined
  const comma = text.indexOf(',')
  const first = (comma === -1 ? text : text.slice(0, comma)).trim()
  return first === '' ? undefined : first
}
