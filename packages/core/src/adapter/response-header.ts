/**
 * Adding a header to a web-standard `Response` the application built: its
 * headers may be immutable (`Response.redirect()`, a `fetch()` answer).
 */

/**
 * `response` with `name: value`, the same object when its headers take it,
 * else a copy that carries it; `response` unchanged when no copy can be made
 * (a status a Response cannot be built with, as 101).
 *
 * @example
 * return withResponseHeader(await handler(request), 'DPoP-Nonce', nonce)
 */
export function withResponseHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value)
    return response
  } catch {
    try {
      const copy = new Response(response.body, response)
      copy.headers.set(name, value)
      return copy
    } catch {
      return response
    }
  }
}
