/**
 * Provider presets: the profile each one builds, each refusal of a wrong
 * argument (a TypeError naming it), and hand-made tokens with exactly the
 * claims and headers each provider documents (research/providers.md, with
 * its sources) accepted with the right client, scopes and issuer; the
 * providers' common mistakes refused with the right reason. Keys are local
 * (the preset's jwksUri swapped for a jwks), tokens real.
 */
import type { JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  auth0,
  cognito,
  createVerifier,
  entra,
  GRAPH_TOKEN_DESCRIPTION,
  type IssuerProfile,
  keycloak,
  okta,
  pingone,
} from '../../src/index.js'
import { createSigner, type Signer } from '../helpers/local-keys.js'
import { refusal } from '../helpers/refusal.js'

const NOW = 1_900_000_000
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const OTHER_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a'
const API_GUID = '6e74172b-be56-4843-9ff4-e66a39bb12e3'
const ENV = 'd8f1c2a0-3b4e-4f5a-8c9d-0e1f2a3b4c5d'

let rs256: Signer
beforeAll(async () => {
  rs256 = await createSigner('RS256', 'provider-key')
})

/** `profile` with its remote keys swapped for the local signer's, as a test of your own would do. */
function verifierFor(profile: IssuerProfile, keys: JWK[] = [rs256.publicJwk]) {
  return createVerifier({
    issuers: [{ ...profile, jwksUri: undefined, jwks: { keys } }],
    clock: () => NOW * 1000,
  })
}

const times = { iat: NOW, exp: NOW + 3600 }

describe('auth0', () => {
  const profile = () => auth0({ domain: 'acme.us.auth0.com', audience: 'https://api.acme.example' })

  it('builds the issuer with its trailing slash, the JWKS URL and the claim names', () => {
    expect(profile()).toEqual({
      issuer: 'https://acme.us.auth0.com/',
      audience: 'https://api.acme.example',
      jwksUri: 'https://acme.us.auth0.com/.well-known/jwks.json',
      clientIdClaims: ['client_id', 'azp'],
      scopeClaims: ['scope', 'permissions'],
    })
  })

  it('accepts the default "Auth0" profile token (azp, gty, scope and RBAC permissions, typ JWT)', async () => {
    const token = await rs256.sign(
      {
        ...times,
        iss: 'https://acme.us.auth0.com/',
        sub: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7@clients',
        aud: 'https://api.acme.example',
        gty: 'client-credentials',
        azp: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7',
        scope: 'read:orders write:orders',
        permissions: ['read:orders', 'write:orders', 'admin:orders'],
        client_id: undefined,
        jti: undefined,
      },
      { typ: 'JWT' },
    )
    expect(await verifierFor(profile()).verify(token)).toMatchObject({
      issuer: 'https://acme.us.auth0.com/',
      clientId: 'OOZH6s5sgOORoVKBMNRu0xRd4I3dl5T7',
      scopes: ['read:orders', 'write:orders', 'admin:orders'],
    })
  })

  it('accepts the RFC 9068 profile token (client_id, jti, typ at+jwt)', async () => {
    const token = await rs256.sign({
      ...times,
      iss: 'https://acme.us.auth0.com/',
      sub: 'abc@clients',
      aud: 'https://api.acme.example',
      client_id: 'abc',
      scope: 'read:orders',
    })
    expect(await verifierFor(profile()).verify(token)).toMatchObject({
      clientId: 'abc',
      scopes: ['read:orders'],
    })
  })

  it('refuses the issuer without its trailing slash, saying why', async () => {
    const token = await rs256.sign({
      ...times,
      iss: 'https://acme.us.auth0.com',
      aud: 'https://api.acme.example',
    })
    const error = await refusal(verifierFor(profile()).verify(token))
    expect(error.reason).toBe('issuer_unknown')
    expect(error.description).toMatch(/trailing slash/)
  })

  it.each<[string, unknown, RegExp]>([
    ['no arguments', undefined, /auth0\(\) needs an object of arguments/],
    [
      'a URL as domain',
      { domain: 'https://acme.auth0.com/', audience: 'x' },
      /auth0\(\) argument "domain" must be a host name/,
    ],
    ['a path in domain', { domain: 'acme.auth0.com/api', audience: 'x' }, /argument "domain"/],
    ['no audience', { domain: 'acme.auth0.com' }, /auth0\(\) argument "audience" must be/],
    ['an empty audience list', { domain: 'acme.auth0.com', audience: [] }, /argument "audience"/],
    [
      'a typo',
      { domain: 'acme.auth0.com', audience: 'x', audiance: 'y' },
      /auth0\(\) has unknown argument "audiance"/,
    ],
  ])('refuses %s', (_, args, message) => {
    expect(() => auth0(args as never)).toThrow(TypeError)
    expect(() => auth0(args as never)).toThrow(message)
  })
})

describe('okta', () => {
  const profile = () => okta({ issuer: 'https://acme.okta.com/oauth2/default', audience: 'api://default' })

  it('builds the custom server’s issuer, its /v1/keys and cid/scp', () => {
    expect(profile()).toEqual({
      issuer: 'https://acme.okta.com/oauth2/default',
      audience: 'api://default',
      jwksUri: 'https://acme.okta.com/oauth2/default/v1/keys',
      clientIdClaims: ['cid'],
      scopeClaims: ['scp', 'scope'],
    })
  })

  it('accepts a custom server token (no typ, cid, scp array, ver, AT. jti)', async () => {
    const token = await rs256.sign(
      {
        ...times,
        ver: 1,
        jti: 'AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE',
        iss: 'https://acme.okta.com/oauth2/default',
        aud: 'api://default',
        cid: '0oa1b2c3d4EXAMPLE697',
        sub: '0oa1b2c3d4EXAMPLE697',
        scp: ['orders.read', 'orders.write'],
        client_id: undefined,
        scope: undefined,
      },
      { typ: undefined },
    )
    expect(await verifierFor(profile()).verify(token)).toMatchObject({
      clientId: '0oa1b2c3d4EXAMPLE697',
      scopes: ['orders.read', 'orders.write'],
    })
  })

  it.each<[string, unknown, RegExp]>([
    [
      'the org authorization server',
      { issuer: 'https://acme.okta.com', audience: 'x' },
      /custom authorization server.*org authorization server/,
    ],
    [
      'the org server’s /oauth2/v1',
      { issuer: 'https://acme.okta.com/oauth2/v1', audience: 'x' },
      /org authorization server/,
    ],
    [
      'a trailing slash',
      { issuer: 'https://acme.okta.com/oauth2/default/', audience: 'x' },
      /must not end with a slash/,
    ],
    [
      'plain http',
      { issuer: 'http://acme.okta.com/oauth2/default', audience: 'x' },
      /argument "issuer" must be an https URL/,
    ],
    ['not a URL', { issuer: 'acme.okta.com', audience: 'x' }, /argument "issuer" must be an absolute URL/],
    ['no audience', { issuer: 'https://acme.okta.com/oauth2/default' }, /okta\(\) argument "audience"/],
  ])('refuses %s', (_, args, message) => {
    expect(() => okta(args as never)).toThrow(TypeError)
    expect(() => okta(args as never)).toThrow(message)
  })
})

describe('entra', () => {
  const v2 = (tenant = TENANT, overrides: Record<string, unknown> = {}) => ({
    ...times,
    nbf: NOW,
    aud: API_GUID,
    iss: `https://login.microsoftonline.com/${tenant}/v2.0`,
    aio: 'E2ZgYJg',
    azp: '535fb089-9ff3-47b6-9bfb-4f1264799865',
    azpacr: '1',
    oid: 'a7b4c0e2-1f6d-4e0a-9c1e-2b8f5d3e4a10',
    sub: 'a7b4c0e2-1f6d-4e0a-9c1e-2b8f5d3e4a10',
    rh: '0.AR',
    roles: ['Orders.Read.All'],
    tid: tenant,
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    ver: '2.0',
    client_id: undefined,
    scope: undefined,
    jti: undefined,
    ...overrides,
  })
  const v1 = (tenant = TENANT) => ({
    ...v2(tenant),
    iss: `https://sts.windows.net/${tenant}/`,
    aud: `api://${API_GUID}`,
    azp: undefined,
    azpacr: undefined,
    appid: '535fb089-9ff3-47b6-9bfb-4f1264799865',
    appidacr: '1',
    ver: '1.0',
  })
  const single = () => entra({ tenantId: TENANT, audience: [API_GUID, `api://${API_GUID}`] })

  it('one tenant: both issuers of the tenant, its v2 keys, azp/appid, roles/scp, nonce refused', () => {
    expect(single()).toEqual({
      issuer: [`https://login.microsoftonline.com/${TENANT}/v2.0`, `https://sts.windows.net/${TENANT}/`],
      audience: [API_GUID, `api://${API_GUID}`],
      jwksUri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
      clientIdClaims: ['azp', 'appid'],
      scopeClaims: ['roles', 'scp'],
      refuseHeaders: { nonce: GRAPH_TOKEN_DESCRIPTION },
    })
  })

  it('accepts a v2 app-only token (azp, roles, typ JWT) and a v1 one (appid, x5t, sts.windows.net)', async () => {
    const verifier = verifierFor(single())
    const fromV2 = await verifier.verify(await rs256.sign(v2(), { typ: 'JWT' }))
    expect(fromV2).toMatchObject({
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      clientId: '535fb089-9ff3-47b6-9bfb-4f1264799865',
      scopes: ['Orders.Read.All'],
    })
    const fromV1 = await verifier.verify(await rs256.sign(v1(), { typ: 'JWT', x5t: rs256.kid } as never))
    expect(fromV1).toMatchObject({
      issuer: `https://sts.windows.net/${TENANT}/`,
      clientId: '535fb089-9ff3-47b6-9bfb-4f1264799865',
      scopes: ['Orders.Read.All'],
    })
  })

  it('an app-only token without roles passes with no scopes (a route requiring one answers 403)', async () => {
    const verifier = verifierFor(single())
    const auth = await verifier.verify(await rs256.sign(v2(TENANT, { roles: undefined })))
    expect(auth.scopes).toEqual([])
    await expect(verifier.verify(auth.token, { scopes: ['Orders.Read.All'] })).rejects.toMatchObject({
      status: 403,
    })
  })

  it('refuses a Microsoft Graph token (nonce header), saying what it is', async () => {
    const token = await rs256.sign(v2(TENANT, { aud: '00000003-0000-0000-c000-000000000000' }), {
      typ: 'JWT',
      nonce: 'AQABAAAAAAD--DLA3VO7QrddgJg7WevrRTd',
    } as never)
    const error = await refusal(verifierFor(single()).verify(token))
    expect(error).toMatchObject({
      status: 401,
      reason: 'audience_mismatch',
      description: GRAPH_TOKEN_DESCRIPTION,
    })
    expect(error.description).toMatch(/Microsoft Graph.*not this API/)
  })

  it('refuses a token of another tenant', async () => {
    const error = await refusal(verifierFor(single()).verify(await rs256.sign(v2(OTHER_TENANT))))
    expect(error.reason).toBe('issuer_unknown')
  })

  it('organizations: {tenantid} issuers, the common key set, tenants narrowing, key issuer checked', async () => {
    const multi = entra({ tenantId: 'organizations', audience: API_GUID, tenants: [TENANT] })
    expect(multi).toMatchObject({
      issuer: ['https://login.microsoftonline.com/{tenantid}/v2.0', 'https://sts.windows.net/{tenantid}/'],
      jwksUri: 'https://login.microsoftonline.com/organizations/discovery/v2.0/keys',
      tenants: [TENANT],
    })
    // Keys of the common set carry the templated issuer, as Entra's do.
    const key = { ...rs256.publicJwk, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' } as JWK
    const verifier = verifierFor(multi, [key])
    expect((await verifier.verify(await rs256.sign(v2()))).issuer).toBe(
      `https://login.microsoftonline.com/${TENANT}/v2.0`,
    )
    expect((await refusal(verifier.verify(await rs256.sign(v2(OTHER_TENANT))))).reason).toBe('issuer_unknown')
    // tenants: 'any', every tenant passes; each token's tid must match its iss.
    const open = verifierFor(entra({ tenantId: 'common', audience: API_GUID, tenants: 'any' }), [key])
    expect((await open.verify(await rs256.sign(v2(OTHER_TENANT)))).issuer).toContain(OTHER_TENANT)
    expect((await refusal(open.verify(await rs256.sign(v2(OTHER_TENANT, { tid: TENANT }))))).reason).toBe(
      'issuer_mismatch',
    )
    // A key pinned to one tenant does not vouch for another's token.
    const pinned = { ...rs256.publicJwk, issuer: `https://login.microsoftonline.com/${TENANT}/v2.0` } as JWK
    const error = await refusal(
      verifierFor(entra({ tenantId: 'common', audience: API_GUID, tenants: 'any' }), [pinned]).verify(
        await rs256.sign(v2(OTHER_TENANT)),
      ),
    )
    expect(error.reason).toBe('issuer_mismatch')
  })

  it.each<[string, unknown, RegExp]>([
    [
      'a domain as tenant id',
      { tenantId: 'contoso.onmicrosoft.com', audience: API_GUID },
      /entra\(\) argument "tenantId" must be the tenant id \(a GUID/,
    ],
    ['consumers', { tenantId: 'consumers', audience: API_GUID }, /argument "tenantId"/],
    ['no tenant id', { audience: API_GUID }, /entra\(\) argument "tenantId" must be a non-empty string/],
    [
      'tenants with one tenant',
      { tenantId: TENANT, audience: API_GUID, tenants: [OTHER_TENANT] },
      /argument "tenants" applies only with tenantId "organizations" or "common"/,
    ],
    [
      'tenants not GUIDs',
      { tenantId: 'organizations', audience: API_GUID, tenants: ['contoso'] },
      /argument "tenants" must be a non-empty list of tenant ids/,
    ],
    ['no audience', { tenantId: TENANT }, /entra\(\) argument "audience"/],
    [
      'organizations without tenants (every tenant, unsaid)',
      { tenantId: 'organizations', audience: API_GUID },
      /entra\(\) with tenantId "organizations" needs the argument "tenants": the tenant ids accepted, or 'any'/,
    ],
    [
      'common without tenants',
      { tenantId: 'common', audience: API_GUID },
      /with tenantId "common" needs the argument "tenants"/,
    ],
    ['tenants "all"', { tenantId: 'common', audience: API_GUID, tenants: 'all' }, /or 'any'/],
  ])('refuses %s', (_, args, message) => {
    expect(() => entra(args as never)).toThrow(TypeError)
    expect(() => entra(args as never)).toThrow(message)
  })
})

describe('cognito', () => {
  const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1'
  const profile = () =>
    cognito({
      region: 'us-east-1',
      userPoolId: 'us-east-1_Example1',
      clientIds: ['1example23456789abcdefghij'],
    })
  const access = (overrides: Record<string, unknown> = {}) => ({
    ...times,
    sub: '1example23456789abcdefghij',
    token_use: 'access',
    scope: 'orders-api/read orders-api/write',
    auth_time: NOW,
    iss: issuer,
    version: 2,
    jti: '8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b',
    client_id: '1example23456789abcdefghij',
    aud: undefined,
    ...overrides,
  })

  it('no audience; the app clients and token_use stand in for it', () => {
    expect(profile()).toEqual({
      issuer,
      audience: null,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      clientIdClaims: ['client_id'],
      scopeClaims: ['scope'],
      clients: ['1example23456789abcdefghij'],
      requiredClaims: { token_use: 'access' },
    })
  })

  it('accepts an access token (no typ, no aud, resource-server scopes)', async () => {
    const token = await rs256.sign(access(), { typ: undefined })
    expect(await verifierFor(profile()).verify(token)).toMatchObject({
      issuer,
      clientId: '1example23456789abcdefghij',
      scopes: ['orders-api/read', 'orders-api/write'],
    })
  })

  it('refuses an ID token of the same pool, and another app client’s access token', async () => {
    const idToken = await rs256.sign(
      access({ token_use: 'id', aud: '1example23456789abcdefghij', client_id: undefined, scope: undefined }),
      { typ: undefined },
    )
    const error = await refusal(verifierFor(profile()).verify(idToken))
    expect(error).toMatchObject({
      status: 401,
      reason: 'invalid_claim',
      description: `'token_use' claim must be "access"`,
    })
    const other = await rs256.sign(access({ client_id: 'another-app', sub: 'another-app' }), {
      typ: undefined,
    })
    expect(await refusal(verifierFor(profile()).verify(other))).toMatchObject({
      status: 403,
      reason: 'client_not_allowed',
    })
  })

  it.each<[string, unknown, RegExp]>([
    [
      'no clientIds',
      { region: 'eu-west-1', userPoolId: 'eu-west-1_AbC' },
      /cognito\(\) argument "clientIds" is required/,
    ],
    [
      'empty clientIds',
      { region: 'eu-west-1', userPoolId: 'eu-west-1_AbC', clientIds: [] },
      /argument "clientIds" is required/,
    ],
    [
      'a pool of another region',
      { region: 'eu-west-1', userPoolId: 'us-east-1_AbC', clientIds: ['x'] },
      /argument "userPoolId" must be a user pool id of region eu-west-1/,
    ],
    [
      'a malformed region',
      { region: 'Ireland', userPoolId: 'eu-west-1_AbC', clientIds: ['x'] },
      /argument "region" must be an AWS region/,
    ],
    [
      'an audience (Cognito access tokens have none)',
      { region: 'eu-west-1', userPoolId: 'eu-west-1_AbC', clientIds: ['x'], audience: 'x' },
      /cognito\(\) has unknown argument "audience"/,
    ],
  ])('refuses %s', (_, args, message) => {
    expect(() => cognito(args as never)).toThrow(TypeError)
    expect(() => cognito(args as never)).toThrow(message)
  })
})

describe('keycloak', () => {
  const profile = () => keycloak({ url: 'https://kc.example.com', realm: 'acme', audience: 'orders-api' })
  const serviceAccount = (overrides: Record<string, unknown> = {}) => ({
    ...times,
    jti: 'e889067f-2dc2-42ee-a1a6-f727515246c8',
    iss: 'https://kc.example.com/realms/acme',
    aud: ['orders-api', 'account'],
    sub: '5fe3c26c-2736-48a4-b6cf-a9e3bcfcdf00',
    typ: 'Bearer',
    azp: 'orders-batch',
    realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-acme'] },
    resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
    scope: 'orders.read',
    clientHost: '172.18.0.1',
    clientAddress: '172.18.0.1',
    client_id: 'orders-batch',
    ...overrides,
  })

  it('builds the realm issuer and its certs URL', () => {
    expect(profile()).toEqual({
      issuer: 'https://kc.example.com/realms/acme',
      audience: 'orders-api',
      jwksUri: 'https://kc.example.com/realms/acme/protocol/openid-connect/certs',
      clientIdClaims: ['client_id', 'azp', 'clientId'],
      scopeClaims: ['scope'],
    })
    expect(keycloak({ url: 'https://kc.example.com/auth/', realm: 'acme', audience: 'x' }).issuer).toBe(
      'https://kc.example.com/auth/realms/acme',
    )
  })

  it('accepts a service-account token (typ JWT, payload typ Bearer), also an older client’s with clientId only', async () => {
    const verifier = verifierFor(profile())
    expect(await verifier.verify(await rs256.sign(serviceAccount(), { typ: 'JWT' }))).toMatchObject({
      clientId: 'orders-batch',
      scopes: ['orders.read'],
    })
    const older = await rs256.sign(
      serviceAccount({ client_id: undefined, azp: undefined, clientId: 'legacy-batch' }),
      { typ: 'JWT' },
    )
    expect((await verifier.verify(older)).clientId).toBe('legacy-batch')
  })

  it('refuses a token whose aud is only "account" (no Audience mapper)', async () => {
    const token = await rs256.sign(serviceAccount({ aud: 'account' }), { typ: 'JWT' })
    expect((await refusal(verifierFor(profile()).verify(token))).reason).toBe('audience_mismatch')
  })

  it.each<[string, unknown, RegExp]>([
    [
      'audience "account"',
      { url: 'https://kc.example.com', realm: 'acme', audience: 'account' },
      /keycloak\(\) argument "audience" must not be "account"/,
    ],
    [
      'a realm with a slash',
      { url: 'https://kc.example.com', realm: 'realms/acme', audience: 'x' },
      /argument "realm" must be the realm's name/,
    ],
    ['no realm', { url: 'https://kc.example.com', audience: 'x' }, /keycloak\(\) argument "realm"/],
    [
      'a URL with a query',
      { url: 'https://kc.example.com/?x=1', realm: 'acme', audience: 'x' },
      /argument "url" must have no query/,
    ],
  ])('refuses %s', (_, args, message) => {
    expect(() => keycloak(args as never)).toThrow(TypeError)
    expect(() => keycloak(args as never)).toThrow(message)
  })
})

describe('pingone', () => {
  it('builds the regional issuer (com by default) and its /jwks', () => {
    expect(pingone({ environmentId: ENV, audience: 'https://api.example' })).toEqual({
      issuer: `https://auth.pingone.com/${ENV}/as`,
      audience: 'https://api.example',
      jwksUri: `https://auth.pingone.com/${ENV}/as/jwks`,
      clientIdClaims: ['client_id'],
      scopeClaims: ['scope'],
    })
    expect(pingone({ environmentId: ENV, region: 'eu', audience: 'x' }).issuer).toBe(
      `https://auth.pingone.eu/${ENV}/as`,
    )
  })

  it('accepts a client-credentials token (no sub, typ at+jwt)', async () => {
    const token = await rs256.sign({
      ...times,
      iss: `https://auth.pingone.eu/${ENV}/as`,
      aud: 'https://api.example',
      client_id: 'a1b2c3',
      scope: 'orders:read',
      sub: undefined,
      jti: undefined,
    })
    const verifier = verifierFor(
      pingone({ environmentId: ENV, region: 'eu', audience: 'https://api.example' }),
    )
    expect(await verifier.verify(token)).toMatchObject({ clientId: 'a1b2c3', scopes: ['orders:read'] })
  })

  it.each<[string, unknown, RegExp]>([
    [
      'an environment id that is not a UUID',
      { environmentId: 'prod', audience: 'x' },
      /pingone\(\) argument "environmentId" must be the environment's id/,
    ],
    [
      'an unknown region',
      { environmentId: ENV, region: 'de', audience: 'x' },
      /pingone\(\) argument "region" must be one of/,
    ],
    ['no audience', { environmentId: ENV }, /pingone\(\) argument "audience"/],
  ])('refuses %s', (_, args, message) => {
    expect(() => pingone(args as never)).toThrow(TypeError)
    expect(() => pingone(args as never)).toThrow(message)
  })
})

describe('presets are plain profiles', () => {
  it('spread and override any field, or use one at the top level', async () => {
    const profile = {
      ...auth0({ domain: 'acme.us.auth0.com', audience: 'https://api.acme.example' }),
      clients: ['billing'],
    }
    const verifier = verifierFor(profile)
    const token = await rs256.sign({
      ...times,
      iss: 'https://acme.us.auth0.com/',
      aud: 'https://api.acme.example',
      client_id: 'reports',
    })
    expect(await refusal(verifier.verify(token))).toMatchObject({ status: 403, reason: 'client_not_allowed' })
    const top = createVerifier({
      ...pingone({ environmentId: ENV, audience: 'https://api.example' }),
      jwksUri: undefined,
      jwks: { keys: [rs256.publicJwk] },
      clock: () => NOW * 1000,
    })
    const ok = await rs256.sign({
      ...times,
      iss: `https://auth.pingone.com/${ENV}/as`,
      aud: 'https://api.example',
      client_id: 'x',
    })
    expect((await top.verify(ok)).clientId).toBe('x')
  })
})
