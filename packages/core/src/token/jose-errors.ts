/**
 * Translates jose's verification errors into m2m-guard's AuthErrors: the
 * right status and a stable `reason`, with jose's error kept as `cause`.
 */
import { errors } from 'jose'
import { type AuthError, type AuthErrorReason, InvalidTokenError } from '../errors.js'

const CLAIM_REASONS: Record<string, AuthErrorReason> = {
  nbf: 'token_not_yet_valid',
  aud: 'audience_mismatch',
  typ: 'typ_mismatch',
  iat: 'token_issued_in_future',
}

/** Maps any error thrown while verifying a token to an {@link AuthError}. */
export function fromJoseError(error: unknown, realm: string | undefined): AuthError {
  const reject = (reason: AuthErrorReason, description: string, message?: string) =>
    new InvalidTokenError({ reason, description, realm, message, cause: error })

  if (error instanceof errors.JWTExpired) {
    return error.claim === 'iat'
      ? reject('token_too_old', 'token is older than the maximum token age')
      : reject('token_expired', 'token expired')
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return reject('missing_claim', `token has no '${error.claim}' claim`)
    if (error.reason === 'invalid')
      return reject('invalid_claim', `'${error.claim}' claim has an invalid type`)
    const reason = CLAIM_REASONS[error.claim]
    if (reason === 'token_not_yet_valid') return reject(reason, 'token is not yet valid')
    if (reason === 'audience_mismatch') return reject(reason, 'token is not meant for this audience')
    if (reason === 'typ_mismatch') return reject(reason, "token 'typ' header must be 'at+jwt'")
    if (reason === 'token_issued_in_future') return reject(reason, "'iat' claim is in the future")
    return reject('invalid_claim', `'${error.claim}' claim check failed`)
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return reject('algorithm_not_allowed', 'token algorithm not allowed')
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return reject('signature_invalid', 'invalid signature')
  // JWSInvalid, JWTInvalid, JOSENotSupported (e.g. an unknown "crit"), and TypeErrors from odd input.
  return reject('token_malformed', 'malformed token')
}
