/**
 * One copy of the claim values a verifier's tokens have in common. JSON.parse
 * gives every token strings of its own, and the token cache keeps every
 * token's payload: 10,000 cached tokens of one issuer held 10,000 copies of
 * its `iss`, `aud`, `scope` and each client's id (sharing them took a cached
 * entry from 465 to 342 bytes beside its token string).
 * Before a verified payload is frozen, a value equal to a configured one (the
 * issuer, an audience) or to one kept before (scopes, client ids) is replaced
 * by it, so the payload reads the same. What is kept is bounded, and comes
 * from verified tokens only.
 */
import type { JWTPayload } from 'jose'
import type { ResolvedProfile } from '../issuers/profile.js'

// A few dozen clients and scope strings are the usual case; longer values are rare and left alone.
const MAX_KEPT_VALUES = 256
const MAX_KEPT_LENGTH = 256

/** Replaces the shareable claim values of a verified payload (not yet frozen) by their one copy. */
export type ValueSharer = (payload: JWTPayload, profile: ResolvedProfile) => void

/**
 * A {@link ValueSharer} for one verifier.
 *
 * @example
 * const share = valueSharer()
 * share(payload, profile) // payload.iss is now profile.issuers[0], if equal to it
 */
export function valueSharer(): ValueSharer {
  const kept = new Map<string, string>()

  function keptCopy(value: string): string {
    if (value.length > MAX_KEPT_LENGTH) return value
    const copy = kept.get(value)
    if (copy !== undefined) return copy
    if (kept.size >= MAX_KEPT_VALUES) kept.clear()
    kept.set(value, value)
    return value
  }

  function shareKept(claims: Record<string, unknown>, names: readonly string[]): void {
    for (const name of names) {
      const value = claims[name]
      if (typeof value === 'string') claims[name] = keptCopy(value)
    }
  }

  return (payload, profile) => {
    const claims = payload as Record<string, unknown>
    const issuer = configured(claims.iss, profile.issuers)
    if (issuer !== undefined) claims.iss = issuer
    const audience = configured(claims.aud, profile.audiences)
    if (audience !== undefined) claims.aud = audience
    shareKept(claims, profile.scopeClaims)
    shareKept(claims, profile.clientIdClaims)
  }
}

/** The configured string equal to `value`, if there is one. */
function configured(value: unknown, strings: readonly string[] | null): string | undefined {
  if (typeof value !== 'string' || strings === null) return undefined
  for (const string of strings) if (string === value) return string
  return undefined
}
