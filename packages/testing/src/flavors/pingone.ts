import type { FlavorShape } from './shape.js'

/**
 * PingOne (`tenant` is the environment id): `iss` `/{env}/as`, keys at `{iss}/jwks`, the
 * client in `client_id`, `scope` a string, no `sub` for client credentials; the `typ`
 * header is optional until PingOne always sends `at+jwt` (from 2 March 2027), so it is
 * left out here. https://developer.pingidentity.com/pingone-api/foundations/authentication-concepts/access-tokens-and-id-tokens/token-claims.html
 *
 * @example
 * ```ts
 * pingoneFlavor(envId).layout.issuerPath // `/${envId}/as`
 * ```
 */
export function pingoneFlavor(environmentId: string): FlavorShape {
  const issuerPath = `/${environmentId}/as`
  return {
    name: 'pingone',
    tenant: environmentId,
    defaultAudience: undefined,
    layout: {
      issuerPath,
      jwksPath: `${issuerPath}/jwks`,
      tokenPath: `${issuerPath}/token`,
      metadataPaths: [`${issuerPath}/.well-known/openid-configuration`],
    },
    typ: null,
    clientIdClaim: 'client_id',
    replyScope: true,
    claims: (issuer, { clientId, scopes, audience }) => ({
      client_id: clientId,
      iss: issuer,
      aud: audience,
      ...(scopes === undefined ? {} : { scope: scopes.join(' ') }),
    }),
  }
}
