import { CLIENT_AUTH_METHODS } from './client-auth.js'
import type { FlavorLayout } from './flavors/shape.js'
import { SIGNING_ALGORITHMS } from './options.js'

/** Where the server's endpoints are, derived once from the issuer. */
export interface Endpoints {
  readonly issuer: string
  readonly jwksUri: string
  readonly tokenEndpoint: string
  /** RFC 8414 §3: `/.well-known/oauth-authorization-server` inserted before the issuer's path. */
  readonly oauthMetadataUrl: string
  /** OpenID Connect Discovery: `/.well-known/openid-configuration` appended to the issuer. */
  readonly openidConfigurationUrl: string
  /** Every URL that serves the metadata document. */
  readonly metadataUrls: readonly string[]
}

/**
 * The endpoint URLs for an origin and issuer path.
 *
 * @example
 * ```ts
 * endpointsFor('http://127.0.0.1:4000', '/tenant-a').oauthMetadataUrl
 * // 'http://127.0.0.1:4000/.well-known/oauth-authorization-server/tenant-a'
 * ```
 */
export function endpointsFor(origin: string, issuerPath: string): Endpoints {
  const issuer = `${origin}${issuerPath}`
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint: `${issuer}/token`,
    oauthMetadataUrl: `${origin}/.well-known/oauth-authorization-server${issuerPath}`,
    openidConfigurationUrl: `${issuer}/.well-known/openid-configuration`,
    metadataUrls: [
      `${origin}/.well-known/oauth-authorization-server${issuerPath}`,
      `${issuer}/.well-known/openid-configuration`,
    ],
  }
}

/**
 * The endpoint URLs of a provider flavor: its paths below the origin. `oauthMetadataUrl`
 * is its first metadata location (OpenID discovery where the provider has no RFC 8414).
 *
 * @example
 * ```ts
 * flavorEndpoints('http://127.0.0.1:4000', auth0Flavor().layout).issuer // 'http://127.0.0.1:4000/'
 * ```
 */
export function flavorEndpoints(origin: string, layout: FlavorLayout): Endpoints {
  const metadataUrls = layout.metadataPaths.map((path) => `${origin}${path}`)
  return {
    issuer: `${origin}${layout.issuerPath}`,
    jwksUri: `${origin}${layout.jwksPath}`,
    tokenEndpoint: `${origin}${layout.tokenPath}`,
    oauthMetadataUrl: metadataUrls[0] as string,
    openidConfigurationUrl: metadataUrls.find((url) => url.endsWith('/openid-configuration')) as string,
    metadataUrls,
  }
}

/**
 * The authorization server metadata (RFC 8414 §2), served at both discovery locations. A
 * client-credentials-only server: no authorization endpoint, no response types.
 *
 * @example
 * ```ts
 * buildMetadata(endpoints, ['orders:read']).token_endpoint
 * ```
 */
export function buildMetadata(endpoints: Endpoints, scopes: readonly string[]): Record<string, unknown> {
  return {
    issuer: endpoints.issuer,
    jwks_uri: endpoints.jwksUri,
    token_endpoint: endpoints.tokenEndpoint,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    scopes_supported: [...new Set(scopes)],
  }
}
