/**
 * Checks that tie a verified token to the issuer that selected its profile,
 * beyond `iss` itself: with a `{tenantid}` issuer, the `tid` claim must name
 * the tenant in `iss`; and a key that says whose it is (Entra's JWKS `issuer`
 * member) verifies only that issuer's tokens. Without this, a multi-tenant
 * key set (shared by every tenant) would let a key meant for one tenant vouch
 * for tokens claiming another.
 */
import type { JWTPayload } from 'jose'
import { InvalidTokenError } from '../errors.js'
import type { VerificationKey } from '../keys/verification-key.js'
import { withTenant } from './issuer-template.js'
import type { ProfileMatch } from './select-profile.js'

/**
 * Throws a 401 `InvalidTokenError` (reason `issuer_mismatch`) if the token's
 * tenant or the key's issuer disagree with the token's `iss`. Runs after the
 * signature check, on verified claims.
 *
 * @example
 * checkIssuerBinding(match, payload, key, realm)
 */
export function checkIssuerBinding(
  match: ProfileMatch,
  payload: JWTPayload,
  key: VerificationKey,
  realm: string | undefined,
): void {
  const { tid } = payload
  const tokenTenant = typeof tid === 'string' ? tid : undefined
  if (match.tenant !== undefined && tokenTenant?.toLowerCase() !== match.tenant.toLowerCase()) {
    throw new InvalidTokenError({
      reason: 'issuer_mismatch',
      description: "token 'tid' claim does not name the tenant of its issuer",
      realm,
    })
  }
  if (key.issuer === undefined) return
  const tenant = match.tenant ?? tokenTenant
  const keyIssuer = tenant === undefined ? key.issuer : withTenant(key.issuer, tenant)
  const { profile } = match
  const accepted =
    profile.issuers.includes(keyIssuer) ||
    (tenant !== undefined &&
      profile.templates.some(({ template }) => withTenant(template, tenant) === keyIssuer))
  if (!accepted) {
    throw new InvalidTokenError({
      reason: 'issuer_mismatch',
      description: 'token was signed with a key of another issuer',
      realm,
    })
  }
}
