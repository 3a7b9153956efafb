/**
 * Scopes granted by a token: the union of the issuer profile's scope claims,
 * each a space-delimited string (`scope`, RFC 8693 §4.2, RFC 9068 §2.2.3) or
 * an array of strings (`scp` at Okta, `roles` at Entra, `permissions` at
 * Auth0). Default claims: `scope`, `scp`.
 */
import type { JWTPayload } from 'jose'

/** What {@link readScopes} found: the scopes, or the first claim of a type no issuer should send. */
export type ScopeLookup = { ok: true; scopes: string[] } | { ok: false; claim: string }

/**
 * Returns the union of the scopes granted by `claims`, in order of first
 * appearance and without duplicates; fails on a present claim that is
 * neither a string nor an array of strings.
 *
 * @example
 * readScopes({ scope: 'orders:read', permissions: ['orders:write'] }, ['scope', 'permissions'])
 * // { ok: true, scopes: ['orders:read', 'orders:write'] }
 */
export function readScopes(payload: JWTPayload, claims: readonly string[]): ScopeLookup {
  let scopes: string[] | undefined
  for (const claim of claims) {
    const value = payload[claim]
    if (value === undefined) continue
    let entries: readonly string[]
    if (typeof value === 'string') entries = value.split(' ')
    else if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) {
      // An entry with spaces holds several scopes, as the string form would: a granted scope never has one.
      entries = value.some((entry) => entry.includes(' ')) ? value.join(' ').split(' ') : value
    } else return { ok: false, claim }
    scopes = scopes === undefined ? unique(entries) : unique([...scopes, ...entries])
  }
  return { ok: true, scopes: scopes ?? [] }
}

function unique(entries: readonly string[]): string[] {
  // A few scopes (the usual case): dedupe in place, without a Set and two more arrays.
  // Many: a Set, so that a token with thousands of scopes costs linear time, not quadratic.
  if (entries.length > 16) return [...new Set(entries.filter((entry) => entry !== ''))]
  const scopes: string[] = []
  for (const entry of entries) if (entry !== '' && !scopes.includes(entry)) scopes.push(entry)
  return scopes
}
