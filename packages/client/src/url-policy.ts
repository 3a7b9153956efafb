/**
 * Where the client may send its credentials. RFC 6749 §3.2: the token endpoint receives clear-text
 * credentials, so TLS MUST be used. Plain http is accepted only on the local machine (the testing
 * server, a sidecar), as core accepts it for key sets (`@m2m-guard/core` keys/url-policy.ts).
 */

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

/**
 * True if `url`'s host is the local machine: `localhost`, `[::1]` or 127.0.0.0/8.
 *
 * @example
 * ```ts
 * isLoopback(new URL('http://127.0.0.1:8080/token')) // true
 * isLoopback(new URL('http://auth.internal/token')) // false
 * ```
 */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(?:\.\d{1,3}){3}$/.test(url.hostname)
}

/**
 * Why a token endpoint found by discovery must not be used, or `undefined` when it may be. An https
 * endpoint is always fine. A plain http one only when the issuer itself is plain http on loopback and
 * so is the endpoint: an https issuer's metadata that points to http is a downgrade (whoever is on
 * the path reads the secret), and metadata must never take the secret off the machine in clear.
 *
 * @example
 * ```ts
 * insecureEndpointReason(new URL('http://tokens.example.net/token'), new URL('https://auth.example.com'))
 * // 'it is plain http while the issuer is https'
 * ```
 */
export function insecureEndpointReason(endpoint: URL, issuer: URL): string | undefined {
  if (endpoint.protocol === 'https:') return undefined
  if (issuer.protocol === 'https:') return 'it is plain http while the issuer is https'
  if (!isLoopback(issuer)) return 'it is plain http, which discovery accepts only from an issuer on loopback'
  if (!isLoopback(endpoint)) return 'it is plain http on a host that is not loopback'
  return undefined
}
