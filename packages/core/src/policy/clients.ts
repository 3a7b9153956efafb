/**
 * Which client sent the token: the first of the configured claims that is
 * present (`client_id` per RFC 9068 §2.2, then `azp` as OpenID providers such
 * as Auth0 and Keycloak write it).
 */
import type { JWTPayload } from 'jose'
import { InsufficientScopeError } from '../errors.js'

/** What {@link readClientId} found. */
export type ClientIdLookup = { ok: true; clientId: string | undefined } | { ok: false; claim: string }

/**
 * Returns the client id from the first present claim of `claims`; a present
 * claim that is not a non-empty string makes the lookup fail.
 *
 * @example
 * readClientId({ client_id: 'billing' }, ['client_id', 'azp']) // { ok: true, clientId: 'billing' }
 */
export function readClientId(payload: JWTPayload, claims: readonly string[]): ClientIdLookup {
  for (const claim of claims) {
    const value = payload[claim]
    if (value === undefined) continue
    if (typeof value !== 'string' || value === '') return { ok: false, claim }
    return { ok: true, clientId: value }
  }
  return { ok: true, clientId: undefined }
}

/**
 * The 403 for a client outside an allowlist (a route's `clients`, or an
 * issuer profile's).
 *
 * @example
 * throw clientNotAllowed('reports', undefined)
 */
export function clientNotAllowed(
  clientId: string | undefined,
  realm: string | undefined,
): InsufficientScopeError {
  return new InsufficientScopeError({
    reason: 'client_not_allowed',
    description:
      clientId === undefined
        ? 'token names no client, and this resource is open only to named clients'
        : `client '${clientId}' is not allowed to access this resource`,
    realm,
  })
}
