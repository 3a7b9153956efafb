/**
 * Which URLs keys and metadata may come from: https anywhere, plain http only
 * on loopback (local issuers in tests) unless explicitly allowed. A key set
 * fetched over plain http on a real network can be swapped by anyone on the
 * path, and with it every token.
 */

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

/** True if `url`'s host is the local machine. */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(?:\.\d{1,3}){3}$/.test(url.hostname)
}

/**
 * Throws a TypeError (naming `what`) unless `url` is https, or http on
 * loopback, or http with `allowInsecureHttp`.
 *
 * @example
 * checkUrlPolicy('"jwksUri" option', new URL('http://idp.internal/jwks'), false) // throws
 */
export function checkUrlPolicy(what: string, url: URL, allowInsecureHttp: boolean): void {
  if (url.protocol === 'https:') return
  if (url.protocol !== 'http:') {
    throw new TypeError(`${what} must be an http(s) URL, got ${url.protocol}`)
  }
  if (!isLoopback(url) && !allowInsecureHttp) {
    throw new TypeError(
      `${what} uses plain http on a non-loopback host (${url.host}); use https, or set "allowInsecureHttp: true" if the network path is trusted`,
    )
  }
}
