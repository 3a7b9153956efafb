import type { FlavorShape } from './shape.js'

/**
 * Auth0, default ("Auth0") access token profile, RBAC with "Add Permissions in the
 * Access Token" on. `iss` is the tenant domain with a trailing slash; `sub` is
 * `{client_id}@clients`; the client is in `azp`; `gty` marks client credentials;
 * no `jti`. https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles
 *
 * @example
 * ```ts
 * auth0Flavor().layout.issuerPath // '/'
 * ```
 */
export function auth0Flavor(): FlavorShape {
  return {
    name: 'auth0',
    tenant: undefined,
    defaultAudience: undefined,
    layout: {
      issuerPath: '/',
      jwksPath: '/.well-known/jwks.json',
      tokenPath: '/oauth/token',
      metadataPaths: ['/.well-known/openid-configuration'],
    },
    typ: 'JWT',
    clientIdClaim: 'azp',
    replyScope: true,
    claims: (issuer, { clientId, scopes, audience }) => ({
      iss: issuer,
      sub: `${clientId}@clients`,
      aud: audience,
      ...(scopes === undefined ? {} : { scope: scopes.join(' '), permissions: [...scopes] }),
      gty: 'client-credentials',
      azp: clientId,
    }),
  }
}
