/**
 * Hand-made provider tokens: exactly the claims and headers each provider documents
 * for a client-credentials access token (the examples in each provider's docs, see
 * docs/providers/*.md), and the providers' common mistakes. Each provider's tokens
 * are signed with a key of its own, served to the verifier as a local key set, so
 * the presets' real issuer URLs are checked without any network.
 */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

export type HandMadeProvider = 'auth0' | 'okta' | 'entra' | 'cognito' | 'keycloak' | 'pingone'

export const AUTH0 = { domain: 'acme.us.auth0.com', audience: 'https://api.acme.example' }
export const OKTA = { issuer: 'https://acme.okta.com/oauth2/default', audience: 'api://default' }
export const ENTRA = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  otherTenantId: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
  api: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
  caller: '535fb089-9ff3-47b6-9bfb-4f1264799865',
  servicePrincipal: 'a7b4c0e2-1f6d-4e0a-9c1e-2b8f5d3e4a10',
  graph: '00000003-0000-0000-c000-000000000000',
}
export const COGNITO = {
  region: 'us-east-1',
  userPoolId: 'us-east-1_Example1',
  clientId: '1example23456789abcdefghij',
}
export const KEYCLOAK = { url: 'https://kc.example.com', realm: 'acme', audience: 'orders-api' }
export const PINGONE = {
  environmentId: 'abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6',
  clientId: '7d1ed5d5-9d2c-4b2e-8c1a-0f3e5b6a7c8d',
  audience: 'https://orders.example.com',
}

interface ProviderKey {
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

/** One RS256 key per provider, as each provider has its own. */
export async function providerKeys(): Promise<Record<HandMadeProvider, ProviderKey>> {
  const names: HandMadeProvider[] = ['auth0', 'okta', 'entra', 'cognito', 'keycloak', 'pingone']
  const entries = await Promise.all(
    names.map(async (name) => {
      const { privateKey, publicKey } = await generateKeyPair('RS256')
      const publicJwk = { ...(await exportJWK(publicKey)), kid: `${name}-key-1`, alg: 'RS256', use: 'sig' }
      return [name, { privateKey, publicJwk }] as const
    }),
  )
  return Object.fromEntries(entries) as Record<HandMadeProvider, ProviderKey>
}

/** A hand-made token: one provider's header and claims, times relative to `now` (seconds). */
export interface HandMadeToken {
  readonly name: string
  readonly provider: HandMadeProvider
  /** Header members besides `alg` and `kid` (`typ`, `x5t`, `nonce`). */
  readonly header: Record<string, unknown>
  claims(now: number): Record<string, unknown>
}

/** Signs `token` with its provider's key, exactly as written: no claim added. */
export function sign(token: HandMadeToken, keys: Record<HandMadeProvider, ProviderKey>, now: number) {
  const key = keys[token.provider]
  return new SignJWT(token.claims(now))
    .setProtectedHeader({ ...token.header, alg: 'RS256', kid: key.publicJwk.kid as string })
    .sign(key.privateKey)
}

const entraV2 = (now: number, tenantId = ENTRA.tenantId) => ({
  aud: ENTRA.api,
  iss: `https://login.microsoftonline.com/${tenantId}/v2.0`,
  iat: now,
  nbf: now,
  exp: now + 4500,
  aio: 'E2ZgYJg5Zz1lB1kBAA==',
  azp: ENTRA.caller,
  azpacr: '1',
  oid: ENTRA.servicePrincipal,
  rh: '0.ARoAv4j5cvGGr0GRqy180BHbR4sXdG5WvkNIn_TmajmbEuMaAAA.',
  roles: ['Orders.Read.All'],
  sub: ENTRA.servicePrincipal,
  tid: tenantId,
  uti: 'fqiBqXLPj0eQa82S-IYFAA',
  ver: '2.0',
})

const entraV1 = (now: number, aud: string) => ({
  aud,
  iss: `https://sts.windows.net/${ENTRA.tenantId}/`,
  iat: now,
  nbf: now,
  exp: now + 4500,
  aio: 'E2ZgYJg5Zz1lB1kBAA==',
  appid: ENTRA.caller,
  appidacr: '1',
  idp: `https://sts.windows.net/${ENTRA.tenantId}/`,
  oid: ENTRA.servicePrincipal,
  rh: '0.ARoAv4j5cvGGr0GRqy180BHbR4sXdG5WvkNIn_TmajmbEuMaAAA.',
  roles: ['Orders.Read.All'],
  sub: ENTRA.servicePrincipal,
  tid: ENTRA.tenantId,
  uti: 'fqiBqXLPj0eQa82S-IYFAA',
  ver: '1.0',
})

const keycloakToken = (now: number, aud: string | string[], clientIdClaim: 'client_id' | 'clientId') => ({
  exp: now + 300,
  iat: now,
  jti: 'e889067f-2dc2-42ee-a1a6-f727515246c8',
  iss: `${KEYCLOAK.url}/realms/${KEYCLOAK.realm}`,
  aud,
  sub: '5fe3c26c-2736-48a4-b6cf-a9e3bcfcdf00',
  typ: 'Bearer',
  azp: 'orders-batch',
  acr: '1',
  'allowed-origins': ['/*'],
  realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-acme'] },
  resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
  scope: 'orders.read profile email',
  clientHost: '172.18.0.1',
  email_verified: false,
  preferred_username: 'service-account-orders-batch',
  clientAddress: '172.18.0.1',
  [clientIdClaim]: 'orders-batch',
})

/** Tokens each provider issues to a daemon, as documented: the presets must accept them. */
export const DOCUMENTED: readonly (HandMadeToken & {
  readonly expect: { issuer: string; clientId: string; scopes: string[] }
})[] = [
  {
    name: 'Auth0, default profile, RBAC permissions',
    provider: 'auth0',
    header: { typ: 'JWT' },
    claims: (now) => ({
      iss: `https://${AUTH0.domain}/`,
      sub: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7@clients',
      aud: AUTH0.audience,
      iat: now,
      exp: now + 86400,
      gty: 'client-credentials',
      azp: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7',
      scope: 'read:orders',
      permissions: ['read:orders', 'write:orders'],
    }),
    expect: {
      issuer: `https://${AUTH0.domain}/`,
      clientId: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7',
      scopes: ['read:orders', 'write:orders'],
    },
  },
  {
    name: 'Auth0, RFC 9068 profile',
    provider: 'auth0',
    header: { typ: 'at+jwt' },
    claims: (now) => ({
      iss: `https://${AUTH0.domain}/`,
      sub: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7@clients',
      aud: AUTH0.audience,
      iat: now,
      exp: now + 86400,
      jti: 'f5dc8c7c-4b1e-4f0d-9a2b-3c4d5e6f7a8b',
      client_id: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7',
      scope: 'read:orders',
    }),
    expect: {
      issuer: `https://${AUTH0.domain}/`,
      clientId: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7',
      scopes: ['read:orders'],
    },
  },
  {
    name: 'Okta custom authorization server',
    provider: 'okta',
    header: {},
    claims: (now) => ({
      ver: 1,
      jti: 'AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE',
      iss: OKTA.issuer,
      aud: OKTA.audience,
      iat: now,
      exp: now + 3600,
      cid: '0oa1b2c3d4EXAMPLE697',
      sub: '0oa1b2c3d4EXAMPLE697',
      scp: ['orders.read', 'orders.write'],
    }),
    expect: {
      issuer: OKTA.issuer,
      clientId: '0oa1b2c3d4EXAMPLE697',
      scopes: ['orders.read', 'orders.write'],
    },
  },
  {
    name: 'Entra ID v2.0 app-only',
    provider: 'entra',
    header: { typ: 'JWT' },
    claims: (now) => entraV2(now),
    expect: {
      issuer: `https://login.microsoftonline.com/${ENTRA.tenantId}/v2.0`,
      clientId: ENTRA.caller,
      scopes: ['Orders.Read.All'],
    },
  },
  {
    name: 'Entra ID v1.0 app-only (App ID URI audience)',
    provider: 'entra',
    header: { typ: 'JWT', x5t: 'entra-key-1' },
    claims: (now) => entraV1(now, `api://${ENTRA.api}`),
    expect: {
      issuer: `https://sts.windows.net/${ENTRA.tenantId}/`,
      clientId: ENTRA.caller,
      scopes: ['Orders.Read.All'],
    },
  },
  {
    name: 'Cognito client credentials',
    provider: 'cognito',
    header: {},
    claims: (now) => ({
      sub: COGNITO.clientId,
      token_use: 'access',
      scope: 'orders-api/read orders-api/write',
      auth_time: now,
      iss: `https://cognito-idp.${COGNITO.region}.amazonaws.com/${COGNITO.userPoolId}`,
      exp: now + 3600,
      iat: now,
      version: 2,
      jti: '8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b',
      client_id: COGNITO.clientId,
    }),
    expect: {
      issuer: `https://cognito-idp.${COGNITO.region}.amazonaws.com/${COGNITO.userPoolId}`,
      clientId: COGNITO.clientId,
      scopes: ['orders-api/read', 'orders-api/write'],
    },
  },
  {
    name: 'Keycloak service account, audience mapper',
    provider: 'keycloak',
    header: { typ: 'JWT' },
    claims: (now) => keycloakToken(now, [KEYCLOAK.audience, 'account'], 'client_id'),
    expect: {
      issuer: `${KEYCLOAK.url}/realms/${KEYCLOAK.realm}`,
      clientId: 'orders-batch',
      scopes: ['orders.read', 'profile', 'email'],
    },
  },
  {
    name: 'Keycloak service account of a client created before 26 (clientId)',
    provider: 'keycloak',
    header: { typ: 'JWT' },
    claims: (now) => keycloakToken(now, KEYCLOAK.audience, 'clientId'),
    expect: {
      issuer: `${KEYCLOAK.url}/realms/${KEYCLOAK.realm}`,
      clientId: 'orders-batch',
      scopes: ['orders.read', 'profile', 'email'],
    },
  },
  {
    name: 'PingOne client credentials',
    provider: 'pingone',
    header: {},
    claims: (now) => ({
      client_id: PINGONE.clientId,
      iss: `https://auth.pingone.com/${PINGONE.environmentId}/as`,
      iat: now,
      exp: now + 3600,
      aud: PINGONE.audience,
      scope: 'orders:read',
    }),
    expect: {
      issuer: `https://auth.pingone.com/${PINGONE.environmentId}/as`,
      clientId: PINGONE.clientId,
      scopes: ['orders:read'],
    },
  },
]

/** The providers' common mistakes: tokens that look right and must be refused. */
export const MISTAKES: readonly (HandMadeToken & {
  readonly expect: { reason: string; description: RegExp }
})[] = [
  {
    name: 'a Cognito ID token sent as an access token',
    provider: 'cognito',
    header: {},
    claims: (now) => ({
      sub: 'aaaaaaaa-bbbb-cccc-dddd-example',
      email_verified: true,
      iss: `https://cognito-idp.${COGNITO.region}.amazonaws.com/${COGNITO.userPoolId}`,
      'cognito:username': 'alice',
      origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      aud: COGNITO.clientId,
      event_id: 'bbbbbbbb-cccc-dddd-eeee-ffffffffffff',
      token_use: 'id',
      auth_time: now,
      exp: now + 3600,
      iat: now,
      jti: 'cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa',
      email: 'alice@example.com',
    }),
    expect: { reason: 'invalid_claim', description: /token_use/ },
  },
  {
    name: 'an Entra token of another tenant',
    provider: 'entra',
    header: { typ: 'JWT' },
    claims: (now) => entraV2(now, ENTRA.otherTenantId),
    expect: { reason: 'issuer_unknown', description: /issuer/ },
  },
  {
    name: 'an Entra token for Microsoft Graph (nonce header)',
    provider: 'entra',
    header: { typ: 'JWT', nonce: 'Mz7nJ2bL5r0kVxQ9pHf4sTgYc1WdA8eU', x5t: 'entra-key-1' },
    claims: (now) => ({ ...entraV1(now, ENTRA.graph), roles: ['User.Read.All'] }),
    expect: { reason: 'audience_mismatch', description: /Microsoft Graph/ },
  },
  {
    name: 'an Okta org authorization server token',
    provider: 'okta',
    header: {},
    claims: (now) => ({
      ver: 1,
      jti: 'AT.Xq8zJbLr2nK5pVw1dTfYc9HgE4sAa7uM0oRi3eNl6QZ',
      iss: 'https://acme.okta.com',
      aud: 'https://acme.okta.com',
      iat: now,
      exp: now + 3600,
      cid: '0oa1b2c3d4EXAMPLE697',
      sub: '0oa1b2c3d4EXAMPLE697',
      scp: ['okta.users.read'],
    }),
    expect: { reason: 'issuer_unknown', description: /issuer/ },
  },
  {
    name: 'a Keycloak token without an audience mapper (aud: account)',
    provider: 'keycloak',
    header: { typ: 'JWT' },
    claims: (now) => keycloakToken(now, 'account', 'client_id'),
    expect: { reason: 'audience_mismatch', description: /aud/ },
  },
  {
    name: 'an Auth0 issuer written without the trailing slash',
    provider: 'auth0',
    header: { typ: 'JWT' },
    claims: (now) => ({
      iss: `https://${AUTH0.domain}`,
      sub: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7@clients',
      aud: AUTH0.audience,
      iat: now,
      exp: now + 86400,
      gty: 'client-credentials',
      azp: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7',
      scope: 'read:orders',
    }),
    expect: { reason: 'issuer_unknown', description: /issuer/ },
  },
]
