/**
 * Verifies a DPoP proof (RFC 9449 §4.3) against the request it came with and
 * the access token it accompanies. The checks run cheapest first: size and
 * shape, the protected header, then the signature, then the claims. Replay
 * is not checked here: the caller asks its store last, once everything else
 * (the token's `cnf.jkt` too) has passed, so a forged proof never reaches it.
 *
 * The signature is checked as a token's is (../token/signature-dispatch.ts:
 * node:crypto on a key imported once, on this thread, or on the thread pool
 * when verifications overlap), which the differential test holds to jose's
 * verdict; WebCrypto through jose cost a thread-pool round trip per proof
 * (bench/RESULTS.md, the DPoP row: 0.31x one bare ES256 check at 1 in flight).
 */
import { LRUCache } from 'lru-cache'
import { sha256Base64url } from '#binding-crypto'
import { importSignatureKey } from '#signature'
import { invalidProof } from '../policy/binding-failure.js'
import { decodeSegment, isCompactJws, parseJsonObject } from '../token/compact-jws.js'
import { signatureDispatch } from '../token/signature-dispatch.js'
import type { SignatureKey } from '../token/signature-path.js'
import { checkProofClaims, type ProofClaimsPolicy } from './dpop-proof-claims.js'
import { jwkThumbprint, publicJwkFor } from './jwk-thumbprint.js'

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
  /** The request URL as sent: an `htu` equal to it needs no normalising of its own. */
  readonly url?: string | undefined
  /**
   * The token's `cnf.jkt`. The key of a proof whose thumbprint equals it is
   * remembered (its header need not be read again), so only holders of a
   * token bound to their key can add one: forged proofs, and proofs signed
   * with keys no token names, leave nothing behind.
   */
  readonly boundJkt?: string | undefined
}

/** A proof that passed every check but replay. */
export interface VerifiedProof {
  /** RFC 7638 thumbprint of the proof key: must equal the token's `cnf.jkt`. */
  readonly jkt: string
  readonly jti: string
  /** ms since the epoch after which the proof would be refused as too old: how long to remember its `jti`. */
  readonly expiresAt: number
  /** Set when its server nonce was issued in the previous window: the answer should carry a fresh one. */
  readonly renewNonce?: true
}

/** Verifies proofs for one verifier; remembers the keys of proofs that verified. */
export interface DpopProofVerifier {
  /** The proof's verdict; rejects with a `BindingFailure` only. */
  verify(proof: string, context: ProofContext): Promise<VerifiedProof>
  /** How many proof keys are remembered now (at most 1,000). */
  readonly cachedKeys: number
}

/** A proof header already checked (by its encoded form), and its key imported. */
interface ProofKey {
  readonly alg: string
  readonly jkt: string
  readonly key: SignatureKey
  /** The access token last proven with this key, and its `ath`: a client sends one token many times. */
  athToken?: string | undefined
  ath?: string | undefined
}

// Clients keep one key, and so one proof header, for many requests: its checks, the
// key's thumbprint and its import are done once. Bounded, and filled only by keys
// that matched the token they came with (ProofContext.boundJkt).
const KEY_CACHE_SIZE = 1000

/**
 * Creates the proof verifier of one verifier.
 *
 * @example
 * const proofs = createDpopProofVerifier({ algorithms: new Set(['ES256']), proofMaxAge: 300, clockTolerance: 5, nonces: undefined })
 * const { jkt } = await proofs.verify(request.headers.dpop, { method: 'GET', htu, accessToken, now: Date.now() })
 */
export function createDpopProofVerifier(policy: DpopProofPolicy): DpopProofVerifier {
  const keys = new LRUCache<string, ProofKey>({ max: KEY_CACHE_SIZE })
  const signatures = signatureDispatch()

  /** The proof's claims, once its signature verified: everything but replay. */
  function checked(
    proof: string,
    segment: string,
    payloadEnd: number,
    proofKey: ProofKey,
    context: ProofContext,
    known: boolean,
  ): VerifiedProof {
    const payload = parseJsonObject(decodeSegment(proof.slice(segment.length + 1, payloadEnd), 'payload'))
    if (payload === undefined)
      throw invalidProof('dpop_proof_malformed', 'DPoP proof payload is not a JSON object')
    const ath =
      proofKey.athToken === context.accessToken ? proofKey.ath : sha256Base64url(context.accessToken)
    const { jti, expiresAt, renewNonce } = checkProofClaims(payload, context, policy, ath)
    if (!known && proofKey.jkt === context.boundJkt) keys.set(segment, proofKey)
    proofKey.athToken = context.accessToken
    proofKey.ath = ath
    return renewNonce
      ? { jkt: proofKey.jkt, jti, expiresAt, renewNonce }
      : { jkt: proofKey.jkt, jti, expiresAt }
  }

  const badSignature = () =>
    invalidProof('dpop_signature_invalid', "DPoP proof signature does not verify with its 'jwk'")

  return {
    get cachedKeys() {
      return keys.size
    },
    async verify(proof, context) {
      if (proof.length > MAX_PROOF_LENGTH) {
        throw invalidProof('dpop_proof_too_large', `DPoP proof larger than ${MAX_PROOF_LENGTH} characters`)
      }
      if (!isCompactJws(proof)) throw invalidProof('dpop_proof_malformed', 'DPoP proof is not a compact JWS')
      const headerEnd = proof.indexOf('.')
      const payloadEnd = proof.lastIndexOf('.')
      const segment = proof.slice(0, headerEnd)
      const known = keys.get(segment)
      const proofKey = known ?? proofKeyOf(segment, policy.algorithms)
      const jws = { token: proof, header: { alg: proofKey.alg }, headerEnd, payloadEnd }
      signatures.begin()
      try {
        const verdict = signatures.check(jws, proofKey.key, proofKey.alg)
        // On this thread node:crypto answers at once: awaited only from the thread pool.
        if (!(typeof verdict === 'boolean' ? verdict : await verdict)) throw badSignature()
      } finally {
        signatures.end()
      }
      return checked(proof, segment, payloadEnd, proofKey, context, known !== undefined)
    },
  }
}

/**
 * The protected header of a proof, by its encoded form, checked before any
 * cryptography (RFC 9449 §4.3 checks 2–5, 7), and its key imported.
 */
function proofKeyOf(segment: string, algorithms: ReadonlySet<string>): ProofKey {
  let header: Record<string, unknown> | undefined
  try {
    header = parseJsonObject(decodeSegment(segment, 'protected header'))
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
  const key = importSignatureKey(checked.jwk)
  // Material the runtime refuses (a point off its curve): no signature can verify with it.
  if (typeof key === 'string')
    throw invalidProof('dpop_signature_invalid', "DPoP proof signature does not verify with its 'jwk'")
  return { alg, jkt: jwkThumbprint(checked.jwk), key }
}
