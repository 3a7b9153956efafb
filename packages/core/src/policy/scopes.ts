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

/** What a {@link ScopeReader} found: the scopes, frozen, or the first claim of a type no issuer should send. */
export type FrozenScopeLookup = { ok: true; scopes: readonly string[] } | { ok: false; claim: string }

/** {@link readScopes} for the tokens of one verifier, with the answer frozen. */
export type ScopeReader = (payload: JWTPayload, claims: readonly string[]) => FrozenScopeLookup

// Scope strings seen, and their frozen lists: a client's tokens grant the same scopes, so its
// next token, and its entry in the token cache, share one list (four fewer heap objects per
// cached token, and no split). Bounded in count and in length, like the known headers.
const MAX_KNOWN_SCOPE_STRINGS = 64
const MAX_KNOWN_SCOPE_LENGTH = 1024

/**
 * A {@link ScopeReader} that remembers the lists of tokens whose scopes are
 * one string claim (the usual `scope`), by that string. Call it only on
 * verified tokens, so that forged ones cannot fill it.
 *
 * @example
 * const read = scopeReader()
 * read({ scope: 'orders:read' }, ['scope', 'scp']) // { ok: true, scopes: ['orders:read'] } (frozen)
 */
export function scopeReader(): ScopeReader {
  const known = new Map<string, readonly string[]>()
  return (payload, claims) => {
    const value = onlyClaim(payload, claims)
    if (typeof value !== 'string' || value.length > MAX_KNOWN_SCOPE_LENGTH) {
      const lookup = readScopes(payload, claims)
      return lookup.ok ? { ok: true, scopes: Object.freeze(lookup.scopes) } : lookup
    }
    let scopes = known.get(value)
    if (scopes === undefined) {
      scopes = Object.freeze(unique(value.split(' ')))
      if (known.size >= MAX_KNOWN_SCOPE_STRINGS) known.clear()
      known.set(value, scopes)
    }
    return { ok: true, scopes }
  }
}

/** The value of the one claim of `claims` present in `payload`; undefined if none or several are. */
function onlyClaim(payload: JWTPayload, claims: readonly string[]): unknown {
  let found: unknown
  for (const claim of claims) {
    const value = payload[claim]
    if (value === undefined) continue
    if (found !== undefined) return undefined
    found = value
  }
  return found
}

function unique(entries: readonly string[]): string[] {
  // A few scopes (the usual case): dedupe in place, without a Set and two more arrays.
  // Many: a Set, so that a token with thousands of scopes costs linear time, not quadratic.
  if (entries.length > 16) return [...new Set(entries.filter((entry) => entry !== ''))]
  const scopes: string[] = []
  for (const entry of entries) if (entry !== '' && !scopes.includes(entry)) scopes.push(entry)
  return scopes
}
