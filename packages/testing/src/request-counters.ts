import type { Endpoint } from './faults.js'

/**
 * Requests received per endpoint, read-only and live: read it again after a request and the
 * number has grown. Faulty answers are counted too, since the request arrived.
 *
 * @example
 * ```ts
 * const before = server.requests.jwks
 * await fetch(server.jwksUri)
 * server.requests.jwks - before // 1
 * ```
 */
export type RequestCounts = { readonly [endpoint in Endpoint]: number }

/**
 * Counts requests per endpoint.
 *
 * @example
 * ```ts
 * const counters = new RequestCounters()
 * counters.count('token')
 * counters.view.token // 1
 * ```
 */
export class RequestCounters {
  readonly #counts: Record<Endpoint, number> = { jwks: 0, metadata: 0, token: 0 }
  /** A live, read-only view of the counts. */
  readonly view: RequestCounts

  constructor() {
    const counts = this.#counts
    this.view = Object.freeze({
      get jwks() {
        return counts.jwks
      },
      get metadata() {
        return counts.metadata
      },
      get token() {
        return counts.token
      },
    })
  }

  count(endpoint: Endpoint): void {
    this.#counts[endpoint] += 1
  }

  reset(): void {
    this.#counts.jwks = 0
    this.#counts.metadata = 0
    this.#counts.token = 0
  }
}
