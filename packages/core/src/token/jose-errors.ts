/**
 * Translates jose's verification errors into m2m-guard's AuthErrors: the
 * right status and a stable `reason`, with jose's error kept as `cause`.
 */
import { errors, type JWTPayload } from 'jose'
import { type AuthError, type AuthErrorReason, InvalidTokenError } from '../errors.js'

const CLAIM_REASONS: Record<string, AuthErrorReason> = {
  nbf: 'token_not_yet_valid',
  iss: 'issuer_mismatch',
  aud: 'audience_mismatch',
  typ: 'typ_mismatch',
  iat: 'token_issued_in_future',
}

/** Maps any error thrown while verifying a token to an {@link AuthError}. */
export function fromJoseError(
  error: unknown,
  context: { realm: string | undefined; issuers: readonly string[] },
): AuthError {
  const { realm } = context
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
    if (error.claim === 'iss') return issuerMismatch(error.payload, context.issuers, reject)
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

function issuerMismatch(
  payload: JWTPayload,
  issuers: readonly string[],
  reject: (reason: AuthErrorReason, description: string, message?: string) => AuthError,
): AuthError {
  const { iss } = payload
  const slashOnly =
    typeof iss === 'string' &&
    issuers.some((issuer) => issuer.replace(/\/+$/, '') === iss.replace(/\/+$/, ''))
  if (!slashOnly) return reject('issuer_mismatch', 'unexpected token issuer')
  return reject(
    'issuer_mismatch',
    'unexpected token issuer (differs from the expected one only by a trailing slash)',
    `token issuer ${JSON.stringify(iss)} differs from the configured issuer only by a trailing slash: ` +
      'issuers are compared exactly, so configure "issuer" exactly as the authorization server writes it',
  )
}
