/**
 * The endpoints whose requests are counted and whose answers can be broken.
 *
 * @example
 * ```ts
 * const endpoint: Endpoint = 'jwks'
 * server.setFault(endpoint, 'down')
 * ```
 */
export type Endpoint = 'jwks' | 'metadata' | 'token'

/** Every {@link Endpoint}. */
export const ENDPOINTS: readonly Endpoint[] = ['jwks', 'metadata', 'token']

/**
 * A way for an endpoint to fail, as outages and broken proxies do:
 * - `down`: 503 Service Unavailable, - `status500`: 500 Internal Server Error,
 * - `slow`: the normal answer after `delayMs`, - `hang`: no answer at all (until `close()`),
 * - `stall`: status, headers and half the body, then nothing,
 * - `garbage`: 200 with bytes that are not JSON, - `html`: 200 with an HTML login page,
 * - `invalid`: 200 with JSON of the wrong shape, - `oversized`: the normal JSON padded to `size` bytes, chunked,
 * - `reset`: the connection is reset without an answer.
 *
 * @example
 * ```ts
 * server.setFault('jwks', 'garbage' satisfies Fault)
 * ```
 */
export type Fault =
  | 'down'
  | 'status500'
  | 'slow'
  | 'hang'
  | 'stall'
  | 'garbage'
  | 'html'
  | 'invalid'
  | 'oversized'
  | 'reset'

/** Every {@link Fault}. */
export const FAULTS: readonly Fault[] = [
  'down',
  'status500',
  'slow',
  'hang',
  'stall',
  'garbage',
  'html',
  'invalid',
  'oversized',
  'reset',
]

/**
 * Tuning of a fault.
 *
 * @example
 * ```ts
 * server.setFault('jwks', 'slow', { delayMs: 6000 })
 * ```
 */
export interface FaultOptions {
  /** Delay of `slow`, in milliseconds. Default 2000. */
  delayMs?: number
  /** Body size of `oversized`, in bytes. Default 4 MiB. */
  size?: number
}

/**
 * A response given instead of the real one.
 *
 * @example
 * ```ts
 * server.queueResponse('token', { status: 429, headers: { 'retry-after': '1' } })
 * ```
 */
export interface CannedResponse {
  status: number
  headers?: Record<string, string>
  /** A string is sent as is; anything else as JSON. Default: an RFC 6749 error object fitting the status. */
  body?: unknown
  /** Wait this long before answering, in milliseconds. */
  delayMs?: number
}

/** What to do with one request instead of the normal answer. */
export type Plan =
  | { readonly kind: 'canned'; readonly response: CannedResponse }
  | { readonly kind: 'fault'; readonly fault: Fault; readonly delayMs: number; readonly size: number }

const DEFAULT_DELAY_MS = 2000
const DEFAULT_OVERSIZED = 4 * 1024 * 1024

/**
 * The fault switches and queued responses of every endpoint. A queued response wins over a
 * standing fault and is used once; a standing fault stays until it is switched off.
 *
 * @example
 * ```ts
 * const board = new FaultBoard()
 * board.set('jwks', 'garbage')
 * board.take('jwks') // { kind: 'fault', fault: 'garbage', … }
 * ```
 */
export class FaultBoard {
  readonly #standing = new Map<Endpoint, Plan>()
  readonly #queued = new Map<Endpoint, Plan[]>()

  /** Sets or (with `null`) clears the standing fault of an endpoint. */
  set(endpoint: Endpoint, fault: Fault | CannedResponse | null, options: FaultOptions = {}): void {
    assertEndpoint(endpoint)
    if (fault === null) this.#standing.delete(endpoint)
    else this.#standing.set(endpoint, toPlan(fault, options))
  }

  /** Adds a one-shot answer to the endpoint's queue. */
  queue(endpoint: Endpoint, response: CannedResponse | Fault, options: FaultOptions = {}): void {
    assertEndpoint(endpoint)
    const queue = this.#queued.get(endpoint) ?? []
    queue.push(toPlan(response, options))
    this.#queued.set(endpoint, queue)
  }

  /** The plan for the next request to `endpoint`, consuming a queued one; none means answer normally. */
  take(endpoint: Endpoint): Plan | undefined {
    return this.#queued.get(endpoint)?.shift() ?? this.#standing.get(endpoint)
  }

  /** The standing fault of each endpoint: a fault name, 'canned' for a canned response, or null. */
  view(): Record<Endpoint, Fault | 'canned' | null> {
    const name = (endpoint: Endpoint) => {
      const plan = this.#standing.get(endpoint)
      return plan === undefined ? null : plan.kind === 'fault' ? plan.fault : 'canned'
    }
    return { jwks: name('jwks'), metadata: name('metadata'), token: name('token') }
  }

  /** Number of queued responses not yet used, per endpoint. */
  pending(endpoint: Endpoint): number {
    return this.#queued.get(endpoint)?.length ?? 0
  }

  /** Clears every standing fault and queued response. */
  clear(): void {
    this.#standing.clear()
    this.#queued.clear()
  }
}

function toPlan(fault: Fault | CannedResponse, options: FaultOptions): Plan {
  if (typeof fault === 'string') {
    if (!FAULTS.includes(fault)) throw new TypeError(`fault must be one of ${FAULTS.join(', ')}`)
    const { delayMs = DEFAULT_DELAY_MS, size = DEFAULT_OVERSIZED } = options
    if (!Number.isInteger(delayMs) || delayMs < 0)
      throw new TypeError('"delayMs" must be a non-negative integer')
    if (!Number.isInteger(size) || size < 0) throw new TypeError('"size" must be a non-negative integer')
    return { kind: 'fault', fault, delayMs, size }
  }
  if (typeof fault !== 'object' || fault === null || !Number.isInteger(fault.status)) {
    throw new TypeError('a canned response needs an integer "status"')
  }
  if (fault.status < 200 || fault.status > 599) throw new TypeError('"status" must be from 200 to 599')
  return { kind: 'canned', response: { ...fault, headers: { ...fault.headers } } }
}

function assertEndpoint(endpoint: Endpoint): void {
  if (!ENDPOINTS.includes(endpoint)) throw new TypeError(`endpoint must be one of ${ENDPOINTS.join(', ')}`)
}
