/**
 * Claim rules jose leaves to the application: registered claims must have
 * their registered types (a numeric `exp` of `1e400` parses to Infinity and
 * would never expire), `iat` must not lie in the future, and the token's
 * validity window for the cache.
 */
import type { JWTPayload } from 'jose'
import { InvalidTokenError } from '../errors.js'

const STRING_CLAIMS = ['iss', 'sub', 'jti'] as const
const NUMERIC_CLAIMS = ['exp', 'nbf', 'iat'] as const

/**
 * Throws an {@link InvalidTokenError} if a registered claim has the wrong
 * type or `iat` is in the future beyond `clockTolerance` seconds.
 */
export function checkClaimTypes(
  payload: JWTPayload,
  nowSeconds: number,
  clockTolerance: number,
  realm: string | undefined,
): void {
  const invalid = (description: string) =>
    new InvalidTokenError({ reason: 'invalid_claim', description, realm })
  for (const claim of STRING_CLAIMS) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'string') {
      throw invalid(`'${claim}' claim must be a string`)
    }
  }
  for (const claim of NUMERIC_CLAIMS) {
    if (payload[claim] !== undefined && !Number.isFinite(payload[claim])) {
      throw invalid(`'${claim}' claim must be a finite number`)
    }
  }
  const { aud } = payload
  // Absent only where the profile checks no audience (validateClaimsSet demands it otherwise).
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((entry) => typeof entry === 'string'))
  ) {
    throw invalid("'aud' claim must be a string or an array of strings")
  }
  if (payload.iat !== undefined && payload.iat > nowSeconds + clockTolerance) {
    throw new InvalidTokenError({
      reason: 'token_issued_in_future',
      description: "'iat' claim is in the future",
      realm,
    })
  }
}

/**
 * The instant (ms since epoch) from which the token no longer verifies: its
 * `exp`, or the end of `maxTokenAge`, whichever is first, plus tolerance.
 * Mirrors jose's comparisons, which work in whole seconds.
 */
export function validUntil(
  payload: JWTPayload,
  clockTolerance: number,
  maxTokenAge: number | undefined,
): number {
  let until = Math.ceil((payload.exp as number) + clockTolerance) * 1000
  if (maxTokenAge !== undefined && payload.iat !== undefined) {
    until = Math.min(until, (Math.floor(payload.iat + maxTokenAge + clockTolerance) + 1) * 1000)
  }
  return until
}
