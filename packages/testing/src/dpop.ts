import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose'
import { OAuthError } from './oauth-error.js'
import { ReplayMemory } from './replay-memory.js'

/**
 * The `dpop` option of `createAuthServer`. Without it, DPoP proofs are still accepted (tokens
 * requested with one are bound to its key); it adds server nonces.
 *
 * @example
 * ```ts
 * const server = await createAuthServer({ dpop: { nonce: true } })
 * ```
 */
export interface DpopOptions {
  /**
   * Demand a server nonce in every proof (RFC 9449 §8): a proof without the current one gets
   * 400 `use_dpop_nonce` with a `DPoP-Nonce` header, which every token response also carries.
   * Default false.
   */
  nonce?: boolean
}

/**
 * Proof algorithms accepted: asymmetric only (RFC 9449 §4.2), as metadata lists them.
 *
 * @example
 * ```ts
 * metadata.dpop_signing_alg_values_supported // DPOP_ALGORITHMS
 * ```
 */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const

/** A proof older than this, in seconds, is refused; with `CLOCK_TOLERANCE` for clocks ahead. */
export const DPOP_PROOF_MAX_AGE = 300
const CLOCK_TOLERANCE = 5
const MAX_PROOF_LENGTH = 8192
const MAX_REMEMBERED_PROOFS = 10_000

/**
 * Checks the DPoP proof of a token request (RFC 9449 §4.3): one `DPoP` header holding a JWT
 * with `typ: dpop+jwt`, an asymmetric `alg`, a public `jwk` that verifies it, `htm` POST, `htu`
 * the token endpoint, a recent `iat`, a `jti` never used before and, with nonces on, the
 * current nonce. Returns the RFC 7638 thumbprint the token's `cnf.jkt` carries.
 *
 * @example
 * ```ts
 * const proofs = new DpopProofs({ tokenEndpoint, clock: Date.now, nonce: false })
 * const bound = await proofs.check(req) // undefined without a DPoP header
 * ```
 */
export class DpopProofs {
  readonly #htu: string
  readonly #clock: () => number
  readonly #seen = new ReplayMemory(MAX_REMEMBERED_PROOFS)
  readonly #nonces: { current: string; previous: string | undefined } | undefined

  constructor(options: { tokenEndpoint: string; clock: () => number; nonce: boolean }) {
    this.#htu = comparableUrl(options.tokenEndpoint) as string
    this.#clock = options.clock
    this.#nonces = options.nonce ? { current: newNonce(), previous: undefined } : undefined
  }

  /** Checks and normalises the `dpop` option. */
  static resolve(options: DpopOptions | undefined): { nonce: boolean } {
    if (options === undefined) return { nonce: false }
    if (typeof options !== 'object' || options === null)
      throw new TypeError('"dpop" option must be an object')
    if (options.nonce !== undefined && typeof options.nonce !== 'boolean') {
      throw new TypeError('"dpop.nonce" option must be a boolean')
    }
    return { nonce: options.nonce ?? false }
  }

  /** The nonce proofs must carry now, if nonces are on. */
  get nonce(): string | undefined {
    return this.#nonces?.current
  }

  /** Issues a new nonce; the one it replaces stays valid for proofs already under way. */
  rotateNonce(): string {
    if (this.#nonces === undefined)
      throw new Error('rotateDpopNonce: the server was created without dpop.nonce')
    this.#nonces.previous = this.#nonces.current
    this.#nonces.current = newNonce()
    return this.#nonces.current
  }

  /** The `DPoP-Nonce` header every token endpoint answer carries when nonces are on. */
  headers(): Record<string, string> {
    return this.#nonces === undefined ? {} : { 'dpop-nonce': this.#nonces.current }
  }

  /** The thumbprint of the proof's key, or undefined when the request has no `DPoP` header. */
  async check(req: IncomingMessage): Promise<{ jkt: string } | undefined> {
    const values = req.headersDistinct.dpop
    if (values === undefined) return undefined
    const [proof, ...others] = values
    if (others.length > 0 || proof === undefined || proof.includes(','))
      throw invalidProof('send exactly one DPoP header')
    if (proof.length > MAX_PROOF_LENGTH) throw invalidProof('the DPoP proof is too large')
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(proof)
    } catch {
      throw invalidProof('the DPoP proof is not a JWT')
    }
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...DPOP_ALGORITHMS],
        requiredClaims: ['jti', 'htm', 'htu', 'iat'],
        maxTokenAge: DPOP_PROOF_MAX_AGE,
        clockTolerance: CLOCK_TOLERANCE,
        currentDate: new Date(this.#clock()),
      }))
    } catch (cause) {
      throw invalidProof(`DPoP proof rejected: ${(cause as Error).message}`)
    }
    const { jti, htm, htu, iat, nonce } = payload
    if (typeof jti !== 'string' || jti === '' || jti.length > 256)
      throw invalidProof('"jti" must be a string of 1 to 256 characters')
    if (htm !== 'POST') throw invalidProof('"htm" must be POST, the token request\'s method')
    if (typeof htu !== 'string' || comparableUrl(htu) !== this.#htu)
      throw invalidProof('"htu" must be the token endpoint')
    if (
      this.#nonces !== undefined &&
      (nonce === undefined || ![this.#nonces.current, this.#nonces.previous].includes(nonce as string))
    ) {
      throw new OAuthError(
        400,
        'use_dpop_nonce',
        'the DPoP proof must carry the server nonce',
        this.headers(),
      )
    }
    const jkt = await calculateJwkThumbprint(header.jwk as JWK, 'sha256')
    // Checked last, so a proof that fails any other check cannot use up its jti.
    const now = this.#clock() / 1000
    if (!this.#seen.claim(`${jkt}.${jti}`, (iat as number) + DPOP_PROOF_MAX_AGE + CLOCK_TOLERANCE, now)) {
      throw invalidProof('the DPoP proof was already used')
    }
    return { jkt }
  }
}

function invalidProof(description: string): OAuthError {
  return new OAuthError(400, 'invalid_dpop_proof', description)
}

/** RFC 9449 §4.3 step 9, with RFC 3986 §6 normalisation: no query or fragment; scheme, host and default port normalised. */
function comparableUrl(value: string): string | undefined {
  try {
    const url = new URL(value)
    return `${url.origin}${url.pathname}`
  } catch {
    return undefined
  }
}

function newNonce(): string {
  return randomBytes(16).toString('base64url')
}
