/**
 * Microsoft Entra ID (app-only tokens). The API's manifest picks the token
 * version (`accessTokenAcceptedVersion`), not the client, so both issuers of
 * the tenant are accepted: v2 `https://login.microsoftonline.com/{tid}/v2.0`
 * and v1 `https://sts.windows.net/{tid}/` (with the slash). The client is in
 * `azp` (v2) or `appid` (v1); application permissions are in a `roles`
 * array, and `scp` only in user tokens. Multi-tenant (`organizations`,
 * `common`) uses `{tenantid}` issuers, narrowed by `tenants` (a list, or
 * `'any'` said explicitly), with the
 * JWKS key's `issuer` member checked. Tokens with a `nonce` header are
 * Microsoft Graph's, in a format only Graph can verify: refused with a
 * description that says so. (research/providers.md §3: Microsoft's
 * access-tokens.md and access-token-claims-reference.md.)
 */
import { isGuid, TENANT_PLACEHOLDER } from './issuer-template.js'
import { audienceArgument, type PresetProfile, presetArguments, requiredString } from './preset-arguments.js'

/** Arguments of {@link entra}. */
export interface EntraOptions {
  /** The tenant id (a GUID), or `'organizations'` / `'common'` to accept tokens of many tenants. */
  tenantId: string
  /** The API's `aud`: its application (client) id GUID for v2 tokens, its App ID URI (`api://…`) for v1. */
  audience: string | readonly string[]
  /**
   * With `organizations` or `common`, required: the tenant ids accepted, or
   * `'any'` for every Entra tenant. Any organisation can consent to a
   * multi-tenant app in its own tenant and grant its own apps the API's app
   * roles, so with `'any'` allowlist the callers (`clients`) or check `tid`.
   */
  tenants?: readonly string[] | 'any' | undefined
}

const MULTI_TENANT = new Set(['organizations', 'common'])
const LOGIN = 'https://login.microsoftonline.com'

/** The `error_description` of a Microsoft Graph token sent to this API. */
export const GRAPH_TOKEN_DESCRIPTION =
  'token is meant for Microsoft Graph (it has a nonce header), not this API: request a token for this API (scope=<its application ID URI>/.default)'

/**
 * An issuer profile for Microsoft Entra ID app-only tokens (v1 and v2) of
 * one tenant, or of many. Spread it and override any field.
 *
 * @example
 * entra({ tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', audience: ['6e74172b-be56-4843-9ff4-e66a39bb12e3', 'api://6e74172b-be56-4843-9ff4-e66a39bb12e3'] })
 * entra({ tenantId: 'organizations', audience: '6e74172b-be56-4843-9ff4-e66a39bb12e3', tenants: ['72f988bf-86f1-41af-91ab-2d7cd011db47'] })
 * { ...entra({ tenantId: 'common', audience: '6e74172b-be56-4843-9ff4-e66a39bb12e3', tenants: 'any' }), clients: ['0c1e1b4f-…'] }
 */
export function entra(options: EntraOptions): PresetProfile {
  const args = presetArguments('entra', options, ['tenantId', 'audience', 'tenants'])
  const tenantId = requiredString('entra', 'tenantId', args.tenantId, '72f988bf-86f1-41af-91ab-2d7cd011db47')
  const multi = MULTI_TENANT.has(tenantId)
  if (!multi && !isGuid(tenantId)) {
    throw new TypeError(
      `entra() argument "tenantId" must be the tenant id (a GUID such as "72f988bf-86f1-41af-91ab-2d7cd011db47"), or "organizations" or "common"; got ${JSON.stringify(tenantId)} (a domain name is not a tenant id: "iss" holds the GUID)`,
    )
  }
  const profile: PresetProfile = {
    issuer: multi
      ? [`${LOGIN}/${TENANT_PLACEHOLDER}/v2.0`, `https://sts.windows.net/${TENANT_PLACEHOLDER}/`]
      : [`${LOGIN}/${tenantId}/v2.0`, `https://sts.windows.net/${tenantId}/`],
    audience: audienceArgument('entra', args.audience, '6e74172b-be56-4843-9ff4-e66a39bb12e3'),
    jwksUri: `${LOGIN}/${tenantId}/discovery/v2.0/keys`,
    clientIdClaims: ['azp', 'appid'],
    scopeClaims: ['roles', 'scp'],
    refuseHeaders: { nonce: GRAPH_TOKEN_DESCRIPTION },
  }
  if (args.tenants === undefined) {
    if (!multi) return profile
    throw new TypeError(
      `entra() with tenantId "${tenantId}" needs the argument "tenants": the tenant ids accepted, or 'any' for every Entra tenant (any organisation can consent to a multi-tenant app and grant its own apps this API's roles; with 'any', allowlist the callers with "clients")`,
    )
  }
  if (!multi) {
    throw new TypeError('entra() argument "tenants" applies only with tenantId "organizations" or "common"')
  }
  const { tenants } = args
  if (tenants === 'any') return profile
  if (
    !Array.isArray(tenants) ||
    tenants.length === 0 ||
    tenants.some((tenant) => typeof tenant !== 'string' || !isGuid(tenant))
  ) {
    throw new TypeError(`entra() argument "tenants" must be a non-empty list of tenant ids (GUIDs), or 'any'`)
  }
  return { ...profile, tenants: [...(tenants as string[])] }
}
