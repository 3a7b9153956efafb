import { randomUUID } from 'node:crypto'
import { grantScopes } from '../grant.js'
import type { FlavorShape } from './shape.js'

/**
 * Amazon Cognito (`tenant` is the user pool id): `iss` `/{userPoolId}`, keys at
 * `{iss}/.well-known/jwks.json`, no `typ` header, **no `aud`**, `token_use: 'access'`,
 * the client in `client_id` (and `sub`), `scope` a string of `resource-server/scope`
 * custom scopes. The token endpoint ignores `audience` and `resource`.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 *
 * @example
 * ```ts
 * cognitoFlavor('us-east-1_Example1').layout.issuerPath // '/us-east-1_Example1'
 * ```
 */
export function cognitoFlavor(userPoolId: string): FlavorShape {
  const issuerPath = `/${userPoolId}`
  return {
    name: 'cognito',
    tenant: userPoolId,
    defaultAudience: undefined,
    layout: {
      issuerPath,
      jwksPath: `${issuerPath}/.well-known/jwks.json`,
      // On AWS the token endpoint is on the user pool's domain, not the issuer's host.
      tokenPath: '/oauth2/token',
      metadataPaths: [`${issuerPath}/.well-known/openid-configuration`],
    },
    typ: null,
    clientIdClaim: 'client_id',
    replyScope: false,
    claims: (issuer, { clientId, scopes, now }) => ({
      sub: clientId,
      token_use: 'access',
      ...(scopes === undefined ? {} : { scope: scopes.join(' ') }),
      auth_time: now,
      iss: issuer,
      version: 2,
      jti: randomUUID(),
      client_id: clientId,
    }),
    grant: (params, client) => {
      const scopes = grantScopes(params.get('scope'), client.scopes)
      return { scopes, audience: undefined }
    },
  }
}
