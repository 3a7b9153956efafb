/**
 * Verifies a DPoP proof (RFC 9449 §4.3) against the request it came with and
 * the access token it accompanies. The checks run cheapest first: size and
 * shape, the protected header, then the signature, then the claims. Replay
 * is not checked here: the caller asks its store last, once everything else
 * (the token's `cnf.jkt` too) has passed, so a forged proof never reaches it.
 */
import { type CryptoKey, compactVerify, importJWK } from 'jose'
import { LRUCache } from 'lru-cache'
import { invalidProof } from '../policy/binding-failure.js'
import { decodeSegment, isCompactJws, parseJsonObject } from '../token/compact-jws.js'
import { checkProofClaims, type ProofClaimsPolicy } from './dpop-proof-claims.js'
import { jwkThumbprint, type PublicJwk, publicJwkFor } from './jwk-thumbprint.js'

/** The algorithms DPoP accepts when `dpop.algorithms` is not set (RFC 9449 names ES256 and PS256 in its examples). */
export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const

/** Longest `DPoP` header accepted: an RSA-8192 proof is under 4 KiB. */
export const MAX_PROOF_LENGTH = 8192

// Headers that name or carry a key some other way than `jwk`, and the JWS
// features a proof has no use for: a proof carrying any of them is refused
// rather than half-understood.
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'kid', 'crit', 'b64']

/** What the verifier is configured to accept. */
export interface DpopProofPolicy extends ProofClaimsPolicy {
  readonly algorithms: ReadonlySet<string>
}

/** The request a proof must match. */
export interface ProofContext {
  /** The request method, as sent. */
  readonly method: string
  /** The request URL normalised by `normaliseHtu`. */
  readonly htu: string
  /** The access token of the request (for `ath`). */
  readonly accessToken: string
  /** ms since the epoch. */
  readonly now: number
}

/** A proof that passed every check but replay. */
export interface VerifiedProof {
  /** RFC 7638 thumbprint of the proof key: must equal the token's `cnf.jkt`. */
  readonly jkt: string
  readonly jti: string
  /** ms since the epoch after which the proof would be refused as too old: how long to remember its `jti`. */
  readonly expiresAt: number
}

/** Verifies proofs for one verifier; remembers the keys of proofs that verified. */
export interface DpopProofVerifier {
  /** The proof's verdict; rejects with a `BindingFailure` only. */
  verify(proof: string, context: ProofContext): Promise<VerifiedProof>
}

// Clients keep one key for many requests: importing it once saves a WebCrypto
// import per proof. Only keys whose proof verified are kept, so forged proofs
// cannot push genuine keys out.
const KEY_CACHE_SIZE = 1000

/**
 * Creates the proof verifier of one verifier.
 *
 * @example
 * const proofs = createDpopProofVerifier({ algorithms: new Set(['ES256']), proofMaxAge: 300, clockTolerance: 5, nonces: undefined })
 * const { jkt } = await proofs.verify(request.headers.dpop, { method: 'GET', htu, accessToken, now: Date.now() })
 */
export function createDpopProofVerifier(policy: DpopProofPolicy): DpopProofVerifier {
  const keys = new LRUCache<string, CryptoKey>({ max: KEY_CACHE_SIZE })

  async function verifySignature(proof: string, alg: string, jwk: PublicJwk, jkt: string): Promise<void> {
    const cacheKey = `${alg} ${jkt}`
    let key = keys.get(cacheKey)
    try {
      key ??= (await importJWK(jwk, alg)) as CryptoKey
      await compactVerify(proof, key, { algorithms: [alg] })
    } catch {
      throw invalidProof('dpop_signature_invalid', "DPoP proof signature does not verify with its 'jwk'")
    }
    keys.set(cacheKey, key)
  }

  return {
    async verify(proof, context) {
      const { alg, jwk } = checkHeader(proof, policy.algorithms)
      const jkt = jwkThumbprint(jwk)
      await verifySignature(proof, alg, jwk, jkt)
      const payload = parseJsonObject(
        decodeSegment(proof.slice(proof.indexOf('.') + 1, proof.lastIndexOf('.')), 'payload'),
      )
      if (payload === undefined)
        throw invalidProof('dpop_proof_malformed', 'DPoP proof payload is not a JSON object')
      const { jti, expiresAt } = checkProofClaims(payload, context, policy)
      return { jkt, jti, expiresAt }
    },
  }
}

/** The size, shape and protected header of a proof, before any cryptography (RFC 9449 §4.3 checks 2–5, 7). */
function checkHeader(proof: string, algorithms: ReadonlySet<string>): { alg: string; jwk: PublicJwk } {
  if (proof.length > MAX_PROOF_LENGTH) {
    throw invalidProof('dpop_proof_too_large', `DPoP proof larger than ${MAX_PROOF_LENGTH} characters`)
  }
  if (!isCompactJws(proof)) throw invalidProof('dpop_proof_malformed', 'DPoP proof is not a compact JWS')
  let header: Record<string, unknown> | undefined
  try {
    header = parseJsonObject(decodeSegment(proof.slice(0, proof.indexOf('.')), 'protected header'))
  } catch {
    header = undefined
  }
  if (header === undefined)
    throw invalidProof('dpop_proof_malformed', 'DPoP proof header is not a JSON object')
  if (header.typ !== 'dpop+jwt')
    throw invalidProof('dpop_proof_malformed', "DPoP proof 'typ' must be 'dpop+jwt'")
  const { alg } = header
  if (typeof alg !== 'string' || !algorithms.has(alg)) {
    throw invalidProof('dpop_algorithm_not_allowed', "DPoP proof 'alg' is not one of the accepted algorithms")
  }
  const forbidden = FORBIDDEN_HEADERS.find((name) => name in header)
  if (forbidden !== undefined) {
    throw invalidProof('dpop_proof_malformed', `DPoP proof header must not carry '${forbidden}'`)
  }
  const checked = publicJwkFor(header.jwk, alg)
  if ('invalid' in checked) throw invalidProof('dpop_key_invalid', `DPoP proof ${checked.invalid}`)
  return { alg, jwk: checked.jwk }
}
