import type { JWK } from 'jose'
import type { ClientRecord } from '../clients.js'
import type { FormParams } from '../form-params.js'
import { invalidRequest, OAuthError } from '../oauth-error.js'
import { opaqueId, stableUuid } from './ids.js'
import type { FlavorShape, Grant } from './shape.js'

/**
 * Microsoft Entra ID, an app-only (daemon) token for an API whose manifest asks for v2.0
 * tokens (`accessTokenAcceptedVersion: 2`) or v1.0 ones (`null`/`1`); `tenant` is the
 * tenant id. v2: `iss` `/{tid}/v2.0`, keys at `/{tid}/discovery/v2.0/keys` carrying an
 * `issuer` member, the client in `azp`, `aud` the API's application id. v1: `iss`
 * `/{tid}/` (on Azure `https://sts.windows.net/{tid}/`, trailing slash), keys at
 * `/{tid}/discovery/keys`, header `x5t`, the client in `appid`, `aud` as requested.
 * Both: header `typ: 'JWT'`, app permissions in `roles` (no `scp`; no `roles` at all when
 * none is assigned), string `ver`, `tid`, `oid` = `sub`, `uti` instead of `jti`. The token
 * request must ask for `scope={resource}/.default`.
 * https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
 * and https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 *
 * @example
 * ```ts
 * entraFlavor(tenantId, '2.0').layout.issuerPath // `/${tenantId}/v2.0`
 * ```
 */
export function entraFlavor(tenantId: string, version: '1.0' | '2.0'): FlavorShape {
  const v2 = version === '2.0'
  const issuerPath = v2 ? `/${tenantId}/v2.0` : `/${tenantId}/`
  return {
    name: v2 ? 'entra' : 'entra-v1',
    tenant: tenantId,
    defaultAudience: DEFAULT_API_APP_ID,
    layout: {
      issuerPath,
      jwksPath: v2 ? `/${tenantId}/discovery/v2.0/keys` : `/${tenantId}/discovery/keys`,
      tokenPath: v2 ? `/${tenantId}/oauth2/v2.0/token` : `/${tenantId}/oauth2/token`,
      // OpenID discovery only: Entra serves no RFC 8414 document.
      metadataPaths: [`${issuerPath.replace(/\/$/, '')}/.well-known/openid-configuration`],
    },
    typ: 'JWT',
    clientIdClaim: v2 ? 'azp' : 'appid',
    replyScope: false,
    ...(v2
      ? { publishKey: (jwk: JWK, issuer: string) => ({ ...jwk, issuer }) }
      : { header: (kid: string | undefined) => (kid === undefined ? {} : { x5t: kid }) }),
    claims: (issuer, { clientId, scopes, audience, now }) => {
      const oid = stableUuid(`entra-service-principal:${tenantId}:${clientId}`)
      return {
        aud: v2 && typeof audience === 'string' ? applicationId(audience) : audience,
        iss: issuer,
        nbf: now,
        aio: opaqueId(48),
        ...(v2 ? { azp: clientId, azpacr: '1' } : { appid: clientId, appidacr: '1' }),
        oid,
        rh: `0.${opaqueId(36)}.`,
        ...(scopes === undefined || scopes.length === 0 ? {} : { roles: [...scopes] }),
        sub: oid,
        tid: tenantId,
        uti: opaqueId(16),
        ver: version,
      }
    },
    grant: dotDefaultGrant,
  }
}

/** The API application id the flavors use when no `audience` is configured. */
export const DEFAULT_API_APP_ID = '6e74172b-be56-4843-9ff4-e66a39bb12e3'

// v2 tokens name the API by its application (client) id, however the client named it.
function applicationId(resource: string): string {
  return resource.startsWith('api://') ? resource.slice('api://'.length) : resource
}

/**
 * Entra's client-credentials request: exactly one `scope`, `{resource}/.default`, where
 * the resource is the API's App ID URI or application id; the token carries every app
 * role granted to the client (the request cannot narrow them).
 */
function dotDefaultGrant(params: FormParams, client: ClientRecord, defaultAudience: string): Grant {
  const scope = params.get('scope')
  if (scope === undefined) {
    throw invalidRequest('"scope" is required: ask for {resource}/.default, e.g. api://<app id>/.default')
  }
  if (scope.includes(' ') || !scope.endsWith('/.default') || scope === '/.default') {
    throw new OAuthError(
      400,
      'invalid_scope',
      `scope "${scope}" is not valid: client credential flows must ask for {resource}/.default`,
    )
  }
  const resource = scope.slice(0, -'/.default'.length)
  const allowed = client.audiences.length > 0 ? client.audiences : [defaultAudience]
  if (!allowed.some((audience) => applicationId(audience) === applicationId(resource))) {
    throw new OAuthError(400, 'invalid_scope', `resource "${resource}" is not granted to this client`)
  }
  return { scopes: [...client.scopes], audience: resource }
}
