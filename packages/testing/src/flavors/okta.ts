import { opaqueId } from './ids.js'
import type { FlavorShape } from './shape.js'

/**
 * Okta, a custom authorization server (`tenant` is its id, `default` for the built-in
 * one): `iss` `/oauth2/{id}`, keys at `{iss}/v1/keys`, no `typ` header, the client in
 * `cid`, scopes as the array `scp`, `ver: 1`, `jti` `AT.…`.
 * https://developer.okta.com/docs/reference/api/oidc/#access-token and
 * https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS/
 *
 * @example
 * ```ts
 * oktaFlavor('default').layout.jwksPath // '/oauth2/default/v1/keys'
 * ```
 */
export function oktaFlavor(authorizationServerId: string): FlavorShape {
  const issuerPath = `/oauth2/${authorizationServerId}`
  return {
    name: 'okta',
    tenant: authorizationServerId,
    defaultAudience: 'api://default',
    layout: {
      issuerPath,
      jwksPath: `${issuerPath}/v1/keys`,
      tokenPath: `${issuerPath}/v1/token`,
      metadataPaths: [
        `/.well-known/oauth-authorization-server${issuerPath}`,
        `${issuerPath}/.well-known/oauth-authorization-server`,
        `${issuerPath}/.well-known/openid-configuration`,
      ],
    },
    typ: null,
    clientIdClaim: 'cid',
    replyScope: true,
    claims: (issuer, { clientId, scopes, audience }) => ({
      ver: 1,
      jti: `AT.${opaqueId(32)}`,
      iss: issuer,
      aud: audience,
      cid: clientId,
      sub: clientId,
      ...(scopes === undefined ? {} : { scp: [...scopes] }),
    }),
  }
}
