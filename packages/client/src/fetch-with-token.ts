import type { TokenCache } from './token-cache.js'
import { asksForNewToken } from './www-authenticate.js'

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

function withBearer(
  input: string | URL | Request,
  init: RequestInit | undefined,
  token: string,
): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
  headers.set('authorization', `Bearer ${token}`)
  return { ...init, headers }
}

/**
 * Wraps `fetch` to send `Authorization: Bearer <token>` (replacing any Authorization header given).
 * On a 401 that asks for a new token (see {@link asksForNewToken}), it forgets that token, gets a
 * fresh one and retries once; the second answer is returned whatever it is. A body that can only be
 * read once (a ReadableStream or async iterable in `init.body`) is not retried: the 401 is returned.
 * A `Request` with a body is cloned first so that it can be replayed.
 *
 * @example
 * ```ts
 * const authorizedFetch = createAuthorizedFetch(cache, fetch)
 * const res = await authorizedFetch('http://orders.internal/orders')
 * ```
 */
export function createAuthorizedFetch(
  tokens: TokenCache,
  fetchImpl: (input: string | URL | Request, init?: RequestInit) => Promise<Response>,
): AuthorizedFetch {
  return async (input, init) => {
    const replayable = isReplayable(init?.body)
    const spare = replayable && input instanceof Request && input.body !== null ? input.clone() : input
    const token = await tokens.get()
    const response = await fetchImpl(input, withBearer(input, init, token))
    if (!replayable || !asksForNewToken(response)) return response
    // Release the connection held by the unread 401 body.
    await response.body?.cancel().catch(() => {})
    tokens.invalidate(token)
    const fresh = await tokens.get()
    return fetchImpl(spare, withBearer(spare, init, fresh))
  }
}
