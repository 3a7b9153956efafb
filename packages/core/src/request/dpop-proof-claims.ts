/**
 * The claims of a DPoP proof whose signature verified (RFC 9449 §4.3 checks
 * 3 and 8–12): `jti`, `htm`, `htu`, `iat`, `ath` and, with server nonces,
 * `nonce`.
 */

import { sha256Base64url } from '#binding-crypto'
import { BindingFailure, invalidProof } from '../policy/binding-failure.js'
import { normaliseHtu } from './dpop-htu.js'
import type { DpopNonces } from './dpop-nonce.js'

/** Seconds an id is kept past the last instant its proof could pass, beyond the clock tolerance. */
const STORE_MARGIN = 5

/** Longest `jti` accepted (RFC 9449 §11.1: refuse huge ones). A UUID is 36. */
export const MAX_JTI_LENGTH = 256

/** How old, in time, a proof may be. */
export interface ProofClaimsPolicy {
  /** Seconds a proof is accepted after its `iat`. */
  readonly proofMaxAge: number
  /** Seconds of clock skew allowed either way. */
  readonly clockTolerance: number
  /** Server nonces, when the API demands them. */
  readonly nonces: DpopNonces | undefined
}

interface ClaimsContext {
  readonly method: string
  readonly htu: string
  readonly accessToken: string
  readonly now: number
  /** The request URL as sent, if known: an `htu` equal to it normalises to `htu` too. */
  readonly url?: string | undefined
}

/**
 * Checks the claims; returns the `jti`, until when (ms) it must be
 * remembered, and whether the proof's server nonce is about to age out (a
 * fresh one should go with the answer). Throws a `BindingFailure`.
 *
 * @example
 * checkProofClaims(payload, { method: 'GET', htu, accessToken, now }, { proofMaxAge: 300, clockTolerance: 5, nonces: undefined })
 */
export function checkProofClaims(
  payload: Record<string, unknown>,
  context: ClaimsContext,
  policy: ProofClaimsPolicy,
  /** base64url SHA-256 of `context.accessToken`, when already known. */
  knownAth?: string,
): { jti: string; expiresAt: number; renewNonce: boolean } {
  const { jti, htm, htu, iat, ath } = payload
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw invalidProof(
      'dpop_claim_invalid',
      `DPoP proof 'jti' must be a string of 1-${MAX_JTI_LENGTH} characters`,
    )
  }
  if (typeof htm !== 'string') throw invalidProof('dpop_claim_invalid', "DPoP proof 'htm' must be a string")
  if (htm !== context.method)
    throw invalidProof('dpop_method_mismatch', "DPoP proof 'htm' does not match the request method")
  if (typeof htu !== 'string') throw invalidProof('dpop_claim_invalid', "DPoP proof 'htu' must be a string")
  if (htu !== context.url && normaliseHtu(htu) !== context.htu) {
    throw invalidProof('dpop_url_mismatch', "DPoP proof 'htu' does not match the request URL")
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw invalidProof('dpop_claim_invalid', "DPoP proof 'iat' must be a number")
  }
  const now = context.now / 1000
  if (iat > now + policy.clockTolerance) {
    throw invalidProof('dpop_proof_issued_in_future', "DPoP proof 'iat' is in the future")
  }
  const acceptedUntil = iat + policy.proofMaxAge + policy.clockTolerance
  if (now > acceptedUntil) throw invalidProof('dpop_proof_expired', 'DPoP proof is too old')
  if (typeof ath !== 'string' || ath !== (knownAth ?? sha256Base64url(context.accessToken))) {
    throw invalidProof('dpop_ath_mismatch', "DPoP proof 'ath' does not match the access token")
  }
  const nonceAge = policy.nonces?.age(payload.nonce)
  if (policy.nonces !== undefined && nonceAge === undefined) {
    throw new BindingFailure(
      'dpop_nonce_required',
      'use_dpop_nonce',
      payload.nonce === undefined ? 'DPoP proof needs a nonce' : 'DPoP proof nonce is not current',
    )
  }
  // The store keeps the id past the last instant it passes here (a store records until
  // expiresAt, exclusive); by the tolerance again, since an instance sharing the store whose
  // clock runs up to that much behind this one accepts the proof that much later; and by a
  // margin for the time between this check and the store's own (the signature check, a
  // queue), so that a tolerance of 0 leaves no gap either.
  const keepUntil = Math.floor((acceptedUntil + policy.clockTolerance + STORE_MARGIN) * 1000) + 1
  return { jti, expiresAt: keepUntil, renewNonce: nonceAge === 'previous' }
}
