import type { DpopSession } from './dpop-session.js'
import type { CachedToken, TokenCache } from './token-cache.js'
import { asksForNewToken, challengeFor } from './www-authenticate.js'

/**
 * A `fetch` that authenticates with the client's token.
 *
 * @example
 * ```ts
 * const orders: AuthorizedFetch = client.fetch
 * const res = await orders('http://orders.internal/orders', { method: 'POST', body: JSON.stringify(order) })
 * ```
 */
export type AuthorizedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * What the authorized fetch needs: the token cache, the fetch to call, and the DPoP session when
 * DPoP is on.
 *
 * @example
 * ```ts
 * const context: AuthorizedFetchContext = { tokens: cache, fetch, dpop: undefined }
 * ```
 */
export interface AuthorizedFetchContext {
  tokens: TokenCache
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>
  dpop: DpopSession | undefined
}

// Bodies that can be sent twice. Streams and async iterables are consumed by the first attempt.
function isReplayable(body: RequestInit['body'] | undefined): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  )
}

// fetch upper-cases these methods before sending (Fetch standard, "normalize a method"); `htm` must be
// the method as sent.
const NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'])

function methodOf(input: string | URL | Request, init: RequestInit | undefined): string {
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
  return NORMALISED_METHODS.has(method.toUpperCase()) ? method.toUpperCase() : method
}

function urlOf(input: string | URL | Request): string {
  return input instanceof Request ? input.url : input instanceof URL ? input.href : input
}

/**
 * The headers that authenticate one request with `token`: `Authorization: Bearer <token>`, or for a
 * DPoP-bound token `Authorization: DPoP <token>` and a fresh `DPoP` proof for this method and URL
 * (RFC 9449 §7.1), with the origin's nonce when one is known.
 *
 * @example
 * ```ts
 * await authorizationHeaders(dpop, token, 'GET', 'https://orders.example/orders')
 * // { authorization: 'DPoP eyJ…', dpop: 'eyJ…' }
 * ```
 */
export async function authorizationHeaders(
  dpop: DpopSession | undefined,
  token: CachedToken,
  method: string,
  url: string,
): Promise<{ authorization: string; dpop?: string }> {
  if (token.tokenType !== 'DPoP' || dpop === undefined)
    return { authorization: `Bearer ${token.accessToken}` }
  return {
    authorization: `DPoP ${token.accessToken}`,
    dpop: await dpop.proof(method, url, token.accessToken),
  }
}

async function authorize(
  context: AuthorizedFetchContext,
  input: string | URL | Request,
  init: RequestInit | undefined,
  token: CachedToken,
): Promise<RequestInit> {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
  const added = await authorizationHeaders(context.dpop, token, methodOf(input, init), urlOf(input))
  for (const [name, value] of Object.entries(added)) headers.set(name, value)
  return { ...init, headers }
}

/**
 * Wraps `fetch` to send the client's token (replacing any Authorization header given): `Bearer`, or
 * for a DPoP-bound token the `DPoP` scheme with a fresh proof (`htm`, `htu`, `ath`, and the origin's
 * nonce). At most two retries, each at most once:
 * - a 401 that asks for a new token (see {@link asksForNewToken}): that token is forgotten, a fresh
 *   one fetched, and the request sent again;
 * - with DPoP, a 401 `DPoP error="use_dpop_nonce"` carrying a `DPoP-Nonce` (RFC 9449 §9): the
 *   request is sent again with a proof holding the nonce. Nonces from any answer are remembered.
 * The last answer is returned whatever it is. A body that can only be read once (a ReadableStream or
 * async iterable in `init.body`) is not retried: the 401 is returned. A `Request` with a body is
 * cloned for each attempt, so that it can be replayed.
 *
 * @example
 * ```ts
 * const authorizedFetch = createAuthorizedFetch({ tokens: cache, fetch, dpop: undefined })
 * const res = await authorizedFetch('http://orders.internal/orders')
 * ```
 */
export function createAuthorizedFetch(context: AuthorizedFetchContext): AuthorizedFetch {
  const { tokens, dpop } = context
  return async (input, init) => {
    const replayable = isReplayable(init?.body)
    const cloneEach = replayable && input instanceof Request && input.body !== null
    const url = urlOf(input)
    let token = await tokens.get()
    let nonceRetried = false
    let tokenRetried = false
    for (;;) {
      const request = cloneEach ? (input as Request).clone() : input
      const response = await context.fetch(request, await authorize(context, input, init, token))
      const nonce = dpop?.remember(url, response.headers) ?? false
      if (!replayable || response.status !== 401) return response
      const askedForNonce =
        token.tokenType === 'DPoP' && challengeFor(response, 'DPoP')?.params.error === 'use_dpop_nonce'
      const retry =
        askedForNonce && nonce && !nonceRetried
          ? 'nonce'
          : !tokenRetried && asksForNewToken(response, token.tokenType)
            ? 'token'
            : undefined
      if (retry === undefined) return response
      // Release the connection held by the unread 401 body.
      await response.body?.cancel().catch(() => {})
      if (retry === 'nonce') {
        nonceRetried = true
      } else {
        tokenRetried = true
        tokens.invalidate(token.accessToken)
        token = await tokens.get()
      }
    }
  }
}
