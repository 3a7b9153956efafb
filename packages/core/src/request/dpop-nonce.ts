/**
 * Stateless server nonces for DPoP (RFC 9449 §9): a nonce is an HMAC of the
 * time window it was issued in, so any instance that shares the secret can
 * check it and none has to remember one. The current and the previous window
 * are accepted, so a nonce lives between one and two windows; a client whose
 * nonce has aged out gets `use_dpop_nonce` with a fresh one and retries.
 */
import { decodeBytes, encodeBase64url, hmacSha256, sameBytes } from '#binding-crypto'

/** Issues and checks nonces. */
export interface DpopNonces {
  /** The nonce to send now (`DPoP-Nonce`). The same value for a whole window. */
  current(): string
  /** True if `nonce` was issued in the current or the previous window. Constant time. */
  check(nonce: unknown): boolean
  /**
   * The window `nonce` was issued in: `'current'`, `'previous'` (it ages out
   * when this window ends, RFC 9449 §8.2), or undefined if neither. Constant time.
   */
  age(nonce: unknown): 'current' | 'previous' | undefined
}

/** Options of {@link createDpopNonces}. */
export interface DpopNonceOptions {
  /** At least 32 bytes; a string counts as UTF-8. Share it across the instances of one API. */
  secret: string | Uint8Array
  /** Window length in seconds. Default 60. */
  window?: number | undefined
  /** ms since the epoch. */
  clock: () => number
}

const NONCE_BYTES = 16
const NONCE_LENGTH = 22 // base64url of 16 bytes
export const MIN_SECRET_BYTES = 32

/**
 * Creates the nonce source of one verifier. The options must have been
 * validated (see the verifier's `dpop.nonce` option).
 *
 * @example
 * const nonces = createDpopNonces({ secret: process.env.DPOP_NONCE_SECRET, clock: Date.now })
 * response.setHeader('DPoP-Nonce', nonces.current())
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  const { secret } = options
  const windowMs = (options.window ?? 60) * 1000
  const { clock } = options
  // The last two windows' nonces, recomputed only when the window moves.
  let cachedWindow = Number.NaN
  let cached: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)]

  const nonceOf = (window: number) => hmacSha256(secret, `dpop-nonce:${window}`, NONCE_BYTES)

  function windows(): [Uint8Array, Uint8Array] {
    const window = Math.floor(clock() / windowMs)
    if (window !== cachedWindow) {
      cached =
        window === cachedWindow + 1 ? [nonceOf(window), cached[0]] : [nonceOf(window), nonceOf(window - 1)]
      cachedWindow = window
    }
    return cached
  }

  function age(nonce: unknown): 'current' | 'previous' | undefined {
    if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return undefined
    const presented = decodeBytes(nonce, 'base64url')
    if (presented.length !== NONCE_BYTES || encodeBase64url(presented) !== nonce) return undefined
    const [current, previous] = windows()
    // Both compared, whatever the first says: the time taken tells nothing.
    const isCurrent = sameBytes(presented, current)
    const isPrevious = sameBytes(presented, previous)
    return isCurrent ? 'current' : isPrevious ? 'previous' : undefined
  }

  return {
    current: () => encodeBase64url(windows()[0]),
    check: (nonce) => age(nonce) !== undefined,
    age,
  }
}

// Per request, the nonce its successful answer should carry (RFC 9449 §8.2), set by the
// binding check when the proof's nonce is about to age out.
const renewals = new WeakMap<object, string>()

/** Notes that the answer to `request` should carry `nonce` (`DPoP-Nonce`). */
export function renewNonce(request: object, nonce: string): void {
  renewals.set(request, nonce)
}

/**
 * For adapters, once `verifier.authorize(request, …)` resolved for `request`
 * (the same `RequestInfo` object; read it only then): the `DPoP-Nonce` its
 * successful response should carry, or undefined. Set when the verifier issues nonces (`dpop.nonce`) and
 * the proof's nonce was issued in the previous window, so that it would be
 * refused once the current one ends (RFC 9449 §8.2): the client takes the
 * fresh one for its next proof and never meets `use_dpop_nonce` while it keeps calling.
 *
 * @example
 * const info = requestInfo({ method: req.method, headers: req.headers, url: () => url, socket: req.socket })
 * const auth = await verifier.authorize(info, requirement, req.auth)
 * const nonce = dpopNonceFor(info)
 * if (nonce !== undefined) res.setHeader('DPoP-Nonce', nonce)
 */
export function dpopNonceFor(request: object): string | undefined {
  return renewals.get(request)
}
