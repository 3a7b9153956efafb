/**
 * The one place that formats a `WWW-Authenticate` challenge: `Bearer`
 * (RFC 6750 §3) and `DPoP` (RFC 9449 §7.1, the same attributes plus
 * `algs`). Every value is kept to the character set RFC 6750 allows in its
 * quoted strings, so nothing a token carries can break the header.
 */

/** Attributes of a Bearer challenge, in the order they are written. */
export interface ChallengeParams {
  realm?: string | undefined
  error?: string | undefined
  errorDescription?: string | undefined
  scope?: string | undefined
  /** RFC 9728 §5.1: where the protected resource's metadata is. */
  resourceMetadata?: string | undefined
  /** DPoP only: the accepted proof algorithms, space-separated (RFC 9449 §7.1). */
  algs?: string | undefined
}

/** The authentication schemes m2m-guard challenges with. */
export type ChallengeScheme = 'Bearer' | 'DPoP'

// RFC 6750 §3: error and error_description allow %x20-21 / %x23-5B / %x5D-7E,
// that is printable ASCII without `"` and `\`. Anything else becomes a space.
const NOT_QUOTABLE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g
// RFC 6750 §3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-separated.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Replaces every character RFC 6750 forbids in a challenge value. */
export function toQuotable(value: string): string {
  return value.replace(NOT_QUOTABLE, ' ')
}

/** True if `scope` is a single RFC 6750 scope-token. */
export function isScopeToken(scope: string): boolean {
  return SCOPE_TOKEN.test(scope)
}

/**
 * Formats one challenge, Bearer unless `scheme` says otherwise. Several
 * challenges go in one header value, comma-separated (RFC 9110 §11.6.1).
 *
 * @example
 * formatChallenge({ realm: 'orders', error: 'invalid_token', errorDescription: 'token expired' })
 * // 'Bearer realm="orders", error="invalid_token", error_description="token expired"'
 * formatChallenge({ algs: 'ES256 PS256' }, 'DPoP') // 'DPoP algs="ES256 PS256"'
 */
export function formatChallenge(params: ChallengeParams, scheme: ChallengeScheme = 'Bearer'): string {
  const attributes: string[] = []
  if (params.realm !== undefined) attributes.push(`realm="${toQuotable(params.realm)}"`)
  if (params.error !== undefined) attributes.push(`error="${toQuotable(params.error)}"`)
  if (params.errorDescription !== undefined) {
    attributes.push(`error_description="${toQuotable(params.errorDescription)}"`)
  }
  if (params.scope !== undefined) attributes.push(`scope="${toQuotable(params.scope)}"`)
  if (params.resourceMetadata !== undefined) {
    attributes.push(`resource_metadata="${toQuotable(params.resourceMetadata)}"`)
  }
  if (params.algs !== undefined) attributes.push(`algs="${toQuotable(params.algs)}"`)
  return attributes.length === 0 ? scheme : `${scheme} ${attributes.join(', ')}`
}

/**
 * Which schemes a verifier accepts, and on which one the refused request
 * came: RFC 9449 §7.2 puts error information only on the scheme used, and a
 * challenge for every scheme accepted (`Bearer, DPoP algs="ES256"`).
 */
export interface ChallengeSchemes {
  /** Bearer tokens are accepted (false with `dpop.required`). */
  readonly bearer: boolean
  /** DPoP is accepted with these proof algorithms, space-separated; undefined when DPoP is off. */
  readonly dpopAlgs: string | undefined
  /** The scheme whose challenge carries the error. */
  readonly errorOn: ChallengeScheme
}

/** Bearer only: every verifier without `dpop`. */
export const BEARER_ONLY: ChallengeSchemes = { bearer: true, dpopAlgs: undefined, errorOn: 'Bearer' }

/**
 * The whole `WWW-Authenticate` value: a challenge per accepted scheme, the
 * error attributes on the scheme the request used; `realm` and
 * `resource_metadata` on each.
 *
 * @example
 * formatChallenges({ error: 'invalid_dpop_proof', errorDescription: 'proof too old' }, { bearer: true, dpopAlgs: 'ES256', errorOn: 'DPoP' })
 * // 'Bearer, DPoP error="invalid_dpop_proof", error_description="proof too old", algs="ES256"'
 */
export function formatChallenges(params: ChallengeParams, schemes: ChallengeSchemes): string {
  const plain: ChallengeParams = { realm: params.realm, resourceMetadata: params.resourceMetadata }
  const challenges: string[] = []
  if (schemes.bearer || schemes.dpopAlgs === undefined) {
    challenges.push(formatChallenge(schemes.errorOn === 'Bearer' ? params : plain))
  }
  if (schemes.dpopAlgs !== undefined) {
    const dpop = schemes.errorOn === 'DPoP' ? params : plain
    challenges.push(formatChallenge({ ...dpop, algs: schemes.dpopAlgs }, 'DPoP'))
  }
  return challenges.join(', ')
}
