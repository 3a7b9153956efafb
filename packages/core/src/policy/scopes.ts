/**
 * Scopes granted by a token: the space-delimited `scope` claim (RFC 8693
 * §4.2, RFC 9068 §2.2.3), or `scp` (an array or a string), which several
 * identity providers use instead.
 */
import type { JWTPayload } from 'jose'

/**
 * Returns the granted scopes, or `undefined` if a scope claim is present
 * with a type no issuer should send (the caller rejects the token then).
 *
 * @example
 * readScopes({ scope: 'orders:read orders:write' }) // ['orders:read', 'orders:write']
 * readScopes({ scp: ['orders:read'] })             // ['orders:read']
 */
export function readScopes(payload: JWTPayload): string[] | undefined {
  const { scope, scp } = payload
  if (scope !== undefined) return typeof scope === 'string' ? splitScopes(scope) : undefined
  if (scp === undefined) return []
  if (typeof scp === 'string') return splitScopes(scp)
  if (Array.isArray(scp) && scp.every((entry) => typeof entry === 'string')) {
    return [...new Set(scp.filter((entry) => entry !== ''))]
  }
  return undefined
}

function splitScopes(value: string): string[] {
  const entries = value.split(' ')
  // A few scopes (the usual case): dedupe in place, without a Set and two more arrays.
  // Many: a Set, so that a token with thousands of scopes costs linear time, not quadratic.
  if (entries.length > 16) return [...new Set(entries.filter((entry) => entry !== ''))]
  const scopes: string[] = []
  for (const entry of entries) if (entry !== '' && !scopes.includes(entry)) scopes.push(entry)
  return scopes
}
