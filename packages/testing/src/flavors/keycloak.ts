import { randomUUID } from 'node:crypto'
import { grantAudience, grantScopes } from '../grant.js'
import { stableUuid } from './ids.js'
import type { FlavorShape } from './shape.js'

// Client scopes Keycloak adds to every token by default (realm "default client scopes").
const DEFAULT_SCOPES = ['profile', 'email']

/**
 * Keycloak, a service-account client (`tenant` is the realm): `iss` `/realms/{realm}`, keys
 * at `{iss}/protocol/openid-connect/certs`, header `typ: 'JWT'`, payload `typ: 'Bearer'`,
 * the client in `azp` and `client_id` (clients created before Keycloak 26 say
 * `clientId`), `sub` the service-account user's id (not the client id), `scope` a string
 * that always has the realm's default scopes `profile email`. `aud` is what an audience
 * mapper writes (the client's audience); without a mapper real tokens carry `account`
 * or nothing. https://www.keycloak.org/docs/latest/server_admin/#_service_accounts and
 * https://www.keycloak.org/docs/latest/server_admin/#audience-support
 *
 * @example
 * ```ts
 * keycloakFlavor('acme').layout.jwksPath // '/realms/acme/protocol/openid-connect/certs'
 * ```
 */
export function keycloakFlavor(realm: string): FlavorShape {
  const issuerPath = `/realms/${realm}`
  return {
    name: 'keycloak',
    tenant: realm,
    defaultAudience: undefined,
    layout: {
      issuerPath,
      jwksPath: `${issuerPath}/protocol/openid-connect/certs`,
      tokenPath: `${issuerPath}/protocol/openid-connect/token`,
      metadataPaths: [
        `/.well-known/oauth-authorization-server${issuerPath}`,
        `${issuerPath}/.well-known/oauth-authorization-server`,
        `${issuerPath}/.well-known/openid-configuration`,
      ],
    },
    typ: 'JWT',
    clientIdClaim: 'azp',
    replyScope: true,
    claims: (issuer, { clientId, scopes, audience }) => ({
      jti: randomUUID(),
      iss: issuer,
      aud: audience,
      sub: stableUuid(`keycloak-service-account:${realm}:${clientId}`),
      typ: 'Bearer',
      azp: clientId,
      acr: '1',
      realm_access: {
        roles: ['offline_access', 'uma_authorization', `default-roles-${realm.toLowerCase()}`],
      },
      scope: [...new Set([...DEFAULT_SCOPES, ...(scopes ?? [])])].join(' '),
      clientHost: '127.0.0.1',
      email_verified: false,
      preferred_username: `service-account-${clientId.toLowerCase()}`,
      clientAddress: '127.0.0.1',
      client_id: clientId,
    }),
    grant: (params, client, defaultAudience) => {
      // The default scopes come whether asked for or not; asking for them is no error.
      const requested = params.get('scope')
      const custom = requested?.split(' ').filter((scope) => !DEFAULT_SCOPES.includes(scope))
      return {
        scopes: grantScopes(custom?.join(' '), client.scopes),
        audience: grantAudience(
          [...params.getAll('audience'), ...params.getAll('resource')],
          client,
          defaultAudience,
        ),
      }
    },
  }
}
