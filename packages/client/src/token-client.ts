import { createHash } from 'node:crypto'
import { createClientAuthentication } from './client-auth.js'
import { createEndpointResolver } from './discovery.js'
import { createDpopSession } from './dpop-session.js'
import { type AuthorizedFetch, authorizationHeaders, createAuthorizedFetch } from './fetch-with-token.js'
import { publishingEmitter } from './observe-client.js'
import type { TokenClientOptions } from './options.js'
import { type ResolvedOptions, resolveOptions } from './resolve-options.js'
import { BackoffTimer, withRetry } from './retry.js'
import { shareThroughStore } from './shared-token.js'
import { createTokenCache, type Flight } from './token-cache.js'
import { createTokenRequest } from './token-request.js'
import { storeKey } from './token-store.js'

/**
 * A client-credentials token client.
 *
 * @example
 * ```ts
 * const token = await client.getToken()
 * const res = await client.fetch('http://orders.internal/orders')
 * client.invalidate()
 * ```
 */
export interface TokenClient {
  /**
   * An access token: the cached one while it is fresh, a new one otherwise. Near expiry the cached
   * token is still returned while a renewal runs in the background. Concurrent calls share one
   * request. Rejects with {@link TokenRequestError} when no valid token can be had.
   */
  getToken(): Promise<string>
  /**
   * `fetch` with `Authorization: Bearer <token>`; on a 401 asking for a new token, one retry with a
   * fresh token. Bodies that are streams are sent once and not retried.
   */
  fetch: AuthorizedFetch
  /**
   * Forgets the cached token, so the next `getToken()` requests a new one. With a `token`, forgets
   * it only if it is still the cached one: many callers that saw the same token rejected then cause
   * one renewal, not one each.
   */
  invalidate(token?: string): void
  /**
   * The headers that authenticate one request, for HTTP clients other than `client.fetch` (axios,
   * undici's request, a gRPC channel): `authorization` (`Bearer …`, or `DPoP …` for a DPoP-bound
   * token) and, with DPoP, a fresh `dpop` proof for this method and URL. Nonce and 401 handling are
   * then yours; `client.fetch` does both.
   *
   * @example
   * ```ts
   * const headers = await client.authorizationHeaders('POST', 'https://orders.example/orders')
   * await axios.post('https://orders.example/orders', order, { headers })
   * ```
   */
  authorizationHeaders(method: string, url: string | URL): Promise<{ authorization: string; dpop?: string }>
}

// A bound token is useful only with its key or certificate: instances that do not share those must
// not share tokens either (with `dpop: true` each instance has its own key).
function bindingOf(resolved: ResolvedOptions): string {
  const parts: string[] = []
  if (resolved.dpop !== undefined) {
    const { publicJwk } = resolved.dpop
    const canonical = Object.keys(publicJwk)
      .sort()
      .map((name) => [name, publicJwk[name as keyof typeof publicJwk]])
    parts.push(`dpop:${createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')}`)
  }
  if (resolved.tls !== undefined) parts.push(`x5t:${resolved.tls.certificate.fingerprint256}`)
  return parts.join(' ')
}

/**
 * Creates a token client for the OAuth 2.0 client-credentials grant (RFC 6749 §4.4). Options are
 * validated now (a TypeError names the bad option); nothing is requested until the first
 * `getToken()` or `fetch()`. The client starts no timers of its own and reads no environment.
 *
 * @example
 * ```ts
 * const client = createTokenClient({
 *   issuer: 'https://auth.example.com',
 *   clientId: process.env.CLIENT_ID!,
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   scope: ['orders:read'],
 * })
 * const res = await client.fetch('http://orders.internal/orders')
 * ```
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const resolved = resolveOptions(options)
  const { clock, credentials } = resolved
  // The client is named in every channel message; it exists by the time anything is emitted.
  let client: TokenClient | undefined
  const emit = publishingEmitter(resolved.emit, () => client)
  const limits = { timeout: resolved.timeout, maxResponseSize: resolved.maxResponseSize }
  const dpop = resolved.dpop === undefined ? undefined : createDpopSession(resolved.dpop, clock)
  const requestToken = createTokenRequest({
    fetch: resolved.fetch,
    clock,
    limits,
    resolveEndpoint: createEndpointResolver(resolved.endpoint, {
      fetch: resolved.fetch,
      clock,
      limits,
      mtls: resolved.tls !== undefined,
    }),
    authenticate: createClientAuthentication(credentials, clock),
    rereadOnInvalidClient:
      'secret' in credentials
        ? credentials.secret.dynamic
        : 'signingKey' in credentials && credentials.signingKey.dynamic,
    emit,
    dpop,
    params: resolved.params,
    defaultLifetime: resolved.defaultLifetime,
  })

  const fetchOwn = (background: boolean): Flight => {
    const timer = new BackoffTimer(!background)
    let attempts = 0
    const result = withRetry(
      (attempt) => {
        attempts = attempt
        return requestToken()
      },
      {
        policy: resolved.retry,
        clock,
        sleep: resolved.sleep ?? ((ms) => timer.sleep(ms)),
        onFailure: (error, attempt, retryIn) =>
          emit({
            type: 'token_request_failed',
            attempt,
            reason: error.reason,
            status: error.status,
            error: error.error,
            retryIn,
          }),
      },
    ).then((response) => ({ response, attempts }))
    return { result, keepAlive: () => timer.keepAlive() }
  }

  const shared =
    resolved.store === undefined
      ? undefined
      : shareThroughStore({
          ...resolved.store,
          key: storeKey({
            endpoint:
              'tokenEndpoint' in resolved.endpoint
                ? resolved.endpoint.tokenEndpoint
                : resolved.endpoint.issuer,
            clientId: credentials.clientId,
            params: resolved.params,
            binding: bindingOf(resolved),
          }),
          tokenType: dpop === undefined ? 'Bearer' : 'DPoP',
          clock,
          sleep: resolved.sleep,
          emit,
          fetchOwn,
        })
  const cache = createTokenCache({
    obtain: shared === undefined ? fetchOwn : (background, current) => shared.obtain(background, current),
    ...(shared === undefined ? {} : { onInvalidate: (token: string) => shared.reject(token) }),
    clock,
    renewBefore: resolved.renewBefore,
    emit,
  })
  client = {
    getToken: async () => (await cache.get()).accessToken,
    fetch: createAuthorizedFetch({ tokens: cache, fetch: resolved.fetch, dpop }),
    invalidate: (token) => cache.invalidate(token),
    authorizationHeaders: async (method, url) => {
      if (typeof method !== 'string' || method === '')
        throw new TypeError('method must be a non-empty string')
      const target = url instanceof URL ? url.href : new URL(url).href
      return authorizationHeaders(dpop, await cache.get(), method, target)
    },
  }
  return client
}
