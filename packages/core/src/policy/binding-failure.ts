/**
 * Why a sender-constrained request failed, before the verifier turns it into
 * the {@link AuthError} (and challenge) to answer with. The DPoP and mTLS
 * modules throw only this; the verifier owns the mapping to HTTP.
 */

/** Stable reasons of DPoP and mTLS refusals; closed set, no request data. */
export type BindingFailureReason =
  | 'dpop_proof_missing'
  | 'dpop_proof_too_large'
  | 'dpop_proof_malformed'
  | 'dpop_algorithm_not_allowed'
  | 'dpop_key_invalid'
  | 'dpop_signature_invalid'
  | 'dpop_claim_invalid'
  | 'dpop_method_mismatch'
  | 'dpop_url_mismatch'
  | 'dpop_proof_expired'
  | 'dpop_proof_issued_in_future'
  | 'dpop_ath_mismatch'
  | 'dpop_nonce_required'
  | 'dpop_key_mismatch'
  | 'dpop_token_not_bound'
  | 'dpop_proof_replayed'
  | 'dpop_token_as_bearer'
  | 'dpop_required'
  | 'dpop_not_accepted'
  | 'certificate_missing'
  | 'certificate_mismatch'
  | 'certificate_binding_required'
  | 'certificate_binding_not_accepted'
  | 'token_binding_invalid'

/**
 * The error code the refusal carries in its challenge: RFC 9449 §7.1 for
 * DPoP (`invalid_dpop_proof`, `use_dpop_nonce`, `invalid_token`), RFC 8705
 * §3 (`invalid_token`) for certificates, RFC 6750 for malformed requests.
 */
export type BindingErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token' | 'invalid_request'

/**
 * A refused binding. `scheme` is the authentication scheme whose challenge
 * carries the error (RFC 9449 §7.2: error information only on the scheme used).
 *
 * @example
 * throw new BindingFailure('dpop_ath_mismatch', 'invalid_dpop_proof', 'DPoP proof "ath" does not match the token')
 */
export class BindingFailure extends Error {
  override name = 'BindingFailure'
  constructor(
    readonly reason: BindingFailureReason,
    readonly code: BindingErrorCode,
    readonly description: string,
    readonly scheme: 'DPoP' | 'Bearer' = 'DPoP',
  ) {
    super(description)
  }
}

/** Shorthand for the most common refusal: the DPoP proof is not acceptable. */
export function invalidProof(reason: BindingFailureReason, description: string): BindingFailure {
  return new BindingFailure(reason, 'invalid_dpop_proof', description)
}

/**
 * The replay store failed (threw, rejected or did not answer in time): the
 * request is refused with 503, never admitted.
 */
export class ReplayStoreFailure extends Error {
  override name = 'ReplayStoreFailure'
}
