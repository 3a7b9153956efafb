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

  return {
    current: () => encodeBase64url(windows()[0]),
    check(nonce) {
      if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return false
      const presented = decodeBytes(nonce, 'base64url')
      if (presented.length !== NONCE_BYTES || encodeBase64url(presented) !== nonce) return false
      const [current, previous] = windows()
      // Both compared, whatever the first says: the time taken tells nothing.
      const isCurrent = sameBytes(presented, current)
      const isPrevious = sameBytes(presented, previous)
      return isCurrent || isPrevious
    },
  }
}
