/**
 * Turns what the binding checks throw into the AuthError the request is
 * answered with (RFC 9449 §7.1 codes for DPoP, RFC 8705 §3 for certificates).
 */
import {
  InvalidDpopProofError,
  InvalidRequestError,
  InvalidTokenError,
  ReplayStoreUnavailableError,
  UseDpopNonceError,
} from '../errors.js'
import { BindingFailure, ReplayStoreFailure } from './binding-failure.js'

/** Seconds a client waits before retrying after the replay store failed. */
const REPLAY_STORE_RETRY_AFTER = 1

/**
 * The AuthError for a binding refusal; anything else comes back as it is.
 *
 * @example
 * bindingError(new BindingFailure('dpop_proof_replayed', 'invalid_dpop_proof', 'DPoP proof has been used before'), undefined)
 * // InvalidDpopProofError (401, reason dpop_proof_replayed)
 */
export function bindingError(error: unknown, realm: string | undefined): unknown {
  if (error instanceof ReplayStoreFailure) {
    return new ReplayStoreUnavailableError({
      description: 'DPoP replay protection is unavailable; retry later',
      retryAfter: REPLAY_STORE_RETRY_AFTER,
      cause: error,
    })
  }
  if (!(error instanceof BindingFailure)) return error
  const args = { reason: error.reason, description: error.description, realm }
  if (error.code === 'invalid_dpop_proof') return new InvalidDpopProofError(args)
  if (error.code === 'use_dpop_nonce') return new UseDpopNonceError(args)
  if (error.code === 'invalid_request') return new InvalidRequestError(args)
  return new InvalidTokenError(args)
}
