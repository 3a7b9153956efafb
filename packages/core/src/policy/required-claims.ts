/**
 * Claims an issuer profile demands exact values of (`requiredClaims`), such
 * as Cognito's `token_use: 'access'`, which tells its access tokens from the
 * ID tokens the same pool signs with the same keys.
 */
import type { JWTPayload } from 'jose'
import { InvalidTokenError } from '../errors.js'
import type { RequiredClaimValue } from '../issuers/profile.js'

/**
 * Throws a 401 `InvalidTokenError` (reason `missing_claim` or
 * `invalid_claim`) unless every claim has its required value. The
 * description quotes the configured value, never the token's.
 *
 * @example
 * checkRequiredClaims({ token_use: 'id' }, [['token_use', 'access']], undefined) // throws: 'token_use' claim must be "access"
 */
export function checkRequiredClaims(
  payload: JWTPayload,
  required: readonly (readonly [string, RequiredClaimValue])[],
  realm: string | undefined,
): void {
  for (const [claim, expected] of required) {
    const value = payload[claim]
    if (value === expected) continue
    throw value === undefined
      ? new InvalidTokenError({
          reason: 'missing_claim',
          description: `token has no '${claim}' claim`,
          realm,
        })
      : new InvalidTokenError({
          reason: 'invalid_claim',
          description: `'${claim}' claim must be ${JSON.stringify(expected)}`,
          realm,
        })
  }
}
