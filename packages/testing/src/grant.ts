import type { ClientRecord } from './clients.js'
import { OAuthError } from './oauth-error.js'

/**
 * The scopes to grant: those requested (space-delimited, RFC 6749 §3.3), each of which the
 * client must be allowed, or every allowed scope when none is requested.
 *
 * @example
 * ```ts
 * grantScopes('orders:read', ['orders:read', 'orders:write']) // ['orders:read']
 * grantScopes(undefined, ['orders:read', 'orders:write'])     // ['orders:read', 'orders:write']
 * ```
 */
export function grantScopes(requested: string | undefined, allowed: readonly string[]): string[] {
  if (requested === undefined) return [...allowed]
  const scopes = [...new Set(requested.split(' ').filter((scope) => scope !== ''))]
  for (const scope of scopes) {
    if (!allowed.includes(scope)) {
      throw new OAuthError(400, 'invalid_scope', `scope "${scope}" is not allowed for this client`)
    }
  }
  return scopes
}

/**
 * The `aud` to issue: the audiences named by `audience` and `resource` (RFC 8707) parameters,
 * each of which the client must be allowed, or the client's first audience. A client without
 * audiences may have only the server's default one.
 *
 * @example
 * ```ts
 * grantAudience([], client, 'https://api.example')                      // client's first audience
 * grantAudience(['https://a.example', 'https://b.example'], client, '') // both, as an array
 * ```
 */
export function grantAudience(
  requested: readonly string[],
  client: ClientRecord,
  fallback: string,
): string | string[] {
  const allowed = client.audiences.length > 0 ? client.audiences : [fallback]
  const audiences = [...new Set(requested)]
  for (const audience of audiences) {
    if (!allowed.includes(audience)) {
      throw new OAuthError(400, 'invalid_target', `audience "${audience}" is not allowed for this client`)
    }
  }
  if (audiences.length === 0) return allowed[0] as string
  return audiences.length === 1 ? (audiences[0] as string) : audiences
}
