/**
 * The one place that formats a `WWW-Authenticate: Bearer` challenge
 * (RFC 6750 §3). Every value is kept to the character set the RFC allows in
 * its quoted strings, so nothing a token carries can break the header.
 */

/** Attributes of a Bearer challenge, in the order they are written. */
export interface ChallengeParams {
  realm?: string | undefined
  error?: string | undefined
  errorDescription?: string | undefined
  scope?: string | undefined
  /** RFC 9728 §5.1: where the protected resource's metadata is. */
  resourceMetadata?: string | undefined
}

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
 * Formats a Bearer challenge.
 *
 * @example
 * formatChallenge({ realm: 'orders', error: 'invalid_token', errorDescription: 'token expired' })
 * // 'Bearer realm="orders", error="invalid_token", error_description="token expired"'
 */
export function formatChallenge(params: ChallengeParams): string {
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
  return attributes.length === 0 ? 'Bearer' : `Bearer ${attributes.join(', ')}`
}
