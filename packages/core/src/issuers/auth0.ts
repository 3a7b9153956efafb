/**
 * Auth0: `iss` is `https://{domain}/`, with the trailing slash; keys at
 * `/.well-known/jwks.json`. The client is in `client_id` (RFC 9068 token
 * profile) or `azp` (the default "Auth0" profile); with RBAC's "Add
 * Permissions in the Access Token", the granted permissions are in a
 * `permissions` array beside `scope`. (research/providers.md §1: Auth0's
 * access-token-profiles page; its `typ` is `JWT` or `at+jwt`.)
 */
import { audienceArgument, hostArgument, type PresetProfile, presetArguments } from './preset-arguments.js'

/** Arguments of {@link auth0}. */
export interface Auth0Options {
  /** The tenant's domain, or the custom domain tokens are requested from: `acme.eu.auth0.com`. */
  domain: string
  /** The API identifier, as set in Auth0's API settings (its `aud`). */
  audience: string | readonly string[]
}

/**
 * An issuer profile for an Auth0 tenant's client-credentials tokens. Spread
 * it and override any field.
 *
 * @example
 * createVerifier({ issuers: [auth0({ domain: 'acme.eu.auth0.com', audience: 'https://orders.example.com' })] })
 * createVerifier({ ...auth0({ domain: 'acme.eu.auth0.com', audience: 'https://orders.example.com' }), requiredClaims: { gty: 'client-credentials' } })
 */
export function auth0(options: Auth0Options): PresetProfile {
  const args = presetArguments('auth0', options, ['domain', 'audience'])
  const domain = hostArgument('auth0', 'domain', args.domain, 'acme.eu.auth0.com')
  return {
    issuer: `https://${domain}/`,
    audience: audienceArgument('auth0', args.audience, 'https://orders.example.com'),
    jwksUri: `https://${domain}/.well-known/jwks.json`,
    clientIdClaims: ['client_id', 'azp'],
    scopeClaims: ['scope', 'permissions'],
  }
}
